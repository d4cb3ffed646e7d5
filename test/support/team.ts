import type { Engine, Row } from '../../db/types.js';
import type { Identity } from '../../db/call.js';
import { unique } from './identity.js';
import { instanceIdOf, sql } from './seed.js';
import {
  claimNextTask, completeTask, getTask, getTaskHistory, registerWorker, type GetTaskRow, type RegisterWorkerInput,
} from '../../generated/index.js';

/**
 * Helpers of the routing, cost and review contract tests. Each test builds its own team in its own
 * tenant (AssignReadyTasks routes a whole tenant, so tests must not see each other's workers).
 * Identities carry their role, as the server fills it: ReviewTask's rule depends on it.
 */
export interface Member {
  id: Identity;
  workerId: string;
  instanceId: number;
}

export interface Team {
  tenant: string;
  admin: Identity;
  /** Registers a worker in the team's tenant (capacity 4 and tier 2 unless given). */
  worker(input?: Partial<RegisterWorkerInput>): Promise<Member>;
}

export function team(db: Engine): Team {
  const tenant = unique('tenant');
  return {
    tenant,
    admin: { tenantId: tenant, callerId: 'AdminClaude', role: 'admin' },
    async worker(input = {}) {
      const workerId = unique('w');
      const id: Identity = { tenantId: tenant, callerId: workerId, role: 'worker' };
      await registerWorker(db, id, { instanceName: workerId, modelType: 'Claude', workerCapacity: 4, ...input });
      return { id, workerId, instanceId: await instanceIdOf(db, tenant, workerId) };
    },
  };
}

/** The task as GetTask shows it. */
export async function taskOf(db: Engine, admin: Identity, taskId: number): Promise<GetTaskRow> {
  return (await getTask(db, admin, { taskId }))[0]!;
}

/** The task's events as GetTaskHistory lists them: "type from->to actor: detail". */
export async function historyOf(db: Engine, admin: Identity, taskId: number): Promise<string[]> {
  return (await getTaskHistory(db, admin, { taskId })).map((e) => `${e.eventType} ${e.fromStatus ?? ''}->${e.toStatus ?? ''} ${e.actor}${e.detail ? `: ${e.detail}` : ''}`);
}

export interface Usage {
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  result?: string;
}

/** The member claims its next task and completes it; returns the task id (fails the test when there is none). */
export async function claimAndComplete(db: Engine, member: Member, usage: Usage = {}): Promise<number> {
  const claimed = (await claimNextTask(db, member.id, {}))[0];
  if (!claimed) throw new Error(`${member.workerId} had nothing to claim`);
  const { result = `done by ${member.workerId}`, ...tokens } = usage;
  await completeTask(db, member.id, { taskId: claimed.taskId!, leaseToken: claimed.leaseToken!, result, ...tokens });
  return claimed.taskId!;
}

/** The usage rows recorded for one task, oldest first (numbers as numbers on every engine). */
export async function usageOf(db: Engine, taskId: number): Promise<Row[]> {
  const rows = await sql(db,
    `SELECT tokens_in, tokens_out, cost_usd::float8 AS cost_usd, cost_source FROM mmos.usage_records WHERE task_id = $1 ORDER BY usage_id`,
    `SELECT TokensIn AS tokens_in, TokensOut AS tokens_out, CAST(CostUsd AS FLOAT) AS cost_usd, CostSource AS cost_source
       FROM mmos.UsageRecords WHERE TaskId = @p1 ORDER BY UsageId`,
    [taskId]);
  return rows.map((r) => ({ ...r, tokens_in: Number(r['tokens_in']), tokens_out: Number(r['tokens_out']), cost_usd: Number(r['cost_usd']) }));
}

/** vw_ModelPerformance for one tenant, one row per worker and task type, keyed the same on every engine. */
export async function performanceOf(db: Engine, tenantId: string): Promise<Row[]> {
  const rows = await sql(db,
    `SELECT worker_id, task_type, tasks_completed, failed_attempts, success_rate::float8 AS success_rate,
            avg_duration_seconds::float8 AS avg_duration_seconds, avg_cost_usd::float8 AS avg_cost_usd
       FROM mmos.vw_model_performance WHERE tenant_id = $1 ORDER BY worker_id, task_type`,
    `SELECT WorkerId AS worker_id, TaskType AS task_type, TasksCompleted AS tasks_completed, FailedAttempts AS failed_attempts,
            CAST(SuccessRate AS FLOAT) AS success_rate, CAST(AvgDurationSeconds AS FLOAT) AS avg_duration_seconds,
            CAST(AvgCostUsd AS FLOAT) AS avg_cost_usd
       FROM mmos.vw_ModelPerformance WHERE TenantId = @p1 ORDER BY WorkerId, TaskType`,
    [tenantId]);
  return rows.map((r) => ({ ...r, tasks_completed: Number(r['tasks_completed']), failed_attempts: Number(r['failed_attempts']) }));
}

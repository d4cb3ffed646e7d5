import type { Engine } from '../../db/types.js';
import type { Identity } from '../../db/call.js';
import { as, unique } from './identity.js';
import { instanceIdOf, sql } from './seed.js';
import { registerWorker, type RegisterWorkerInput } from '../../generated/index.js';

/**
 * Helpers of the execution-path contract tests (claim, progress, complete, fail, release, redrive,
 * sweeps). Each test gets its own tenant, so claims never see another test's tasks. Moving time is
 * done with fixed-text UPDATEs (values are parameters), never by sleeping.
 */
export interface Scene {
  tenant: string;
  admin: Identity;
  /** Registers a worker in the scene's tenant; returns its identity and instance id. */
  worker(input?: Partial<RegisterWorkerInput>): Promise<{ id: Identity; instanceId: number; workerId: string }>;
}

export function scene(db: Engine): Scene {
  const tenant = unique('tenant');
  return {
    tenant,
    admin: as('AdminClaude', tenant),
    async worker(input = {}) {
      const workerId = unique('w');
      const id = as(workerId, tenant);
      await registerWorker(db, id, { instanceName: workerId, modelType: 'Claude', workerCapacity: 4, ...input });
      return { id, instanceId: await instanceIdOf(db, tenant, workerId), workerId };
    },
  };
}

/** Gives a task to one worker (AssignedInstanceId), as the admin's assignment would. */
export async function assignTo(db: Engine, taskId: number, instanceId: number): Promise<void> {
  await sql(db,
    'UPDATE mmos.task_queue SET assigned_instance_id = $2 WHERE task_id = $1',
    'UPDATE mmos.TaskQueue SET AssignedInstanceId = @p2 WHERE TaskId = @p1',
    [taskId, instanceId]);
}

/** Moves a task's NotBefore one minute into the past (a back-off or a planned start has passed). */
export async function notBeforePassed(db: Engine, taskId: number): Promise<void> {
  await sql(db,
    "UPDATE mmos.task_queue SET not_before = now() - interval '1 minute' WHERE task_id = $1",
    'UPDATE mmos.TaskQueue SET NotBefore = DATEADD(MINUTE, -1, SYSUTCDATETIME()) WHERE TaskId = @p1',
    [taskId]);
}

/** Moves a running task's lease end one minute into the past (its worker went quiet). */
export async function leaseExpired(db: Engine, taskId: number): Promise<void> {
  await sql(db,
    "UPDATE mmos.task_queue SET lease_expires_at = now() - interval '1 minute' WHERE task_id = $1",
    'UPDATE mmos.TaskQueue SET LeaseExpiresAt = DATEADD(MINUTE, -1, SYSUTCDATETIME()) WHERE TaskId = @p1',
    [taskId]);
}

/** The columns of one task the execution tests check, keyed the same on every engine. */
export interface TaskView {
  status: string;
  attempts: number;
  maxAttempts: number;
  claimedBy: number | null;
  leaseToken: string | null;
  leaseExpiresAt: string | null;
  notBefore: string;
  unmet: number;
  blockedReason: string | null;
  lastError: string | null;
  result: string | null;
  progressPercent: number | null;
}

export async function task(db: Engine, taskId: number): Promise<TaskView> {
  const r = (await sql(db,
    `SELECT status, attempts, max_attempts, claimed_by_instance_id AS claimed_by, lease_token::text AS lease_token,
            lease_expires_at, not_before, unmet_dependencies AS unmet, blocked_reason, last_error, result, progress_percent
       FROM mmos.task_queue WHERE task_id = $1`,
    `SELECT Status AS status, Attempts AS attempts, MaxAttempts AS max_attempts, ClaimedByInstanceId AS claimed_by,
            LOWER(CAST(LeaseToken AS NVARCHAR(36))) AS lease_token, LeaseExpiresAt AS lease_expires_at, NotBefore AS not_before,
            UnmetDependencies AS unmet, BlockedReason AS blocked_reason, LastError AS last_error, Result AS result,
            ProgressPercent AS progress_percent
       FROM mmos.TaskQueue WHERE TaskId = @p1`,
    [taskId]))[0]!;
  const time = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());
  const num = (v: unknown) => (v === null ? null : Number(v));
  return {
    status: String(r['status']),
    attempts: Number(r['attempts']),
    maxAttempts: Number(r['max_attempts']),
    claimedBy: num(r['claimed_by']),
    leaseToken: r['lease_token'] === null ? null : String(r['lease_token']),
    leaseExpiresAt: time(r['lease_expires_at']),
    notBefore: time(r['not_before'])!,
    unmet: Number(r['unmet']),
    blockedReason: (r['blocked_reason'] as string | null) ?? null,
    lastError: (r['last_error'] as string | null) ?? null,
    result: (r['result'] as string | null) ?? null,
    progressPercent: num(r['progress_percent']),
  };
}

/** Event types of a task, oldest first. */
export async function events(db: Engine, taskId: number): Promise<string[]> {
  return (await sql(db,
    'SELECT event_type FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id',
    'SELECT EventType AS event_type FROM mmos.TaskEvents WHERE TaskId = @p1 ORDER BY EventId',
    [taskId])).map((r) => String(r['event_type']));
}

/** A worker's pool row. */
export async function workerState(db: Engine, instanceId: number): Promise<{ status: string; tasksCompleted: number; tasksFailed: number; lastHeartbeatAt: string }> {
  const r = (await sql(db,
    'SELECT status, tasks_completed, tasks_failed, last_heartbeat_at FROM mmos.worker_pool WHERE instance_id = $1',
    'SELECT Status AS status, TasksCompleted AS tasks_completed, TasksFailed AS tasks_failed, LastHeartbeatAt AS last_heartbeat_at FROM mmos.WorkerPool WHERE InstanceId = @p1',
    [instanceId]))[0]!;
  return {
    status: String(r['status']),
    tasksCompleted: Number(r['tasks_completed']),
    tasksFailed: Number(r['tasks_failed']),
    lastHeartbeatAt: new Date(r['last_heartbeat_at'] as string).toISOString(),
  };
}

/** Usage rows of a task, oldest first. */
export async function usageOf(db: Engine, taskId: number): Promise<{ tokensIn: number; tokensOut: number; costUsd: number; costSource: string }[]> {
  return (await sql(db,
    'SELECT tokens_in, tokens_out, cost_usd, cost_source FROM mmos.usage_records WHERE task_id = $1 ORDER BY usage_id',
    'SELECT TokensIn AS tokens_in, TokensOut AS tokens_out, CostUsd AS cost_usd, CostSource AS cost_source FROM mmos.UsageRecords WHERE TaskId = @p1 ORDER BY UsageId',
    [taskId])).map((r) => ({
    tokensIn: Number(r['tokens_in']), tokensOut: Number(r['tokens_out']), costUsd: Number(r['cost_usd']), costSource: String(r['cost_source']),
  }));
}

export async function projectStatus(db: Engine, projectId: number): Promise<string> {
  const r = await sql(db,
    'SELECT status FROM mmos.work_sessions WHERE project_id = $1',
    'SELECT Status AS status FROM mmos.WorkSessions WHERE ProjectId = @p1',
    [projectId]);
  return String(r[0]!['status']);
}

import type { Engine, Row } from '../../db/types.js';

/**
 * Direct table writes and reads for contract tests that need a state no single procedure call
 * produces on demand (a dead task, an expired lease, a heartbeat two minutes old), and for
 * asserting that a refusal changed nothing. Fixed texts per dialect; values are parameters.
 */
export function sql(db: Engine, pg: string, tsql: string, params: readonly unknown[] = []): Promise<Row[]> {
  return db.query(db.kind === 'mssql' ? tsql : pg, params);
}

/** First column of the first row as a number (counts, ids). */
export async function scalar(db: Engine, pg: string, tsql: string, params: readonly unknown[] = []): Promise<number> {
  const rows = await sql(db, pg, tsql, params);
  const first = rows[0];
  if (!first) throw new Error('query returned no row');
  return Number(Object.values(first)[0]);
}

export function instanceIdOf(db: Engine, tenantId: string, workerId: string): Promise<number> {
  return scalar(db,
    'SELECT instance_id FROM mmos.model_instances WHERE tenant_id = $1 AND worker_id = $2',
    'SELECT InstanceId FROM mmos.ModelInstances WHERE TenantId = @p1 AND WorkerId = @p2',
    [tenantId, workerId]);
}

/** Moves a worker's heartbeat (and last-active time) `seconds` into the past. */
export async function ageHeartbeat(db: Engine, tenantId: string, workerId: string, seconds: number): Promise<void> {
  const id = await instanceIdOf(db, tenantId, workerId);
  await sql(db,
    'UPDATE mmos.worker_pool SET last_heartbeat_at = now() - make_interval(secs => $2::integer) WHERE instance_id = $1',
    'UPDATE mmos.WorkerPool SET LastHeartbeatAt = DATEADD(SECOND, -@p2, SYSUTCDATETIME()) WHERE InstanceId = @p1',
    [id, seconds]);
  await sql(db,
    'UPDATE mmos.model_instances SET last_active = now() - make_interval(secs => $2::integer) WHERE instance_id = $1',
    'UPDATE mmos.ModelInstances SET LastActive = DATEADD(SECOND, -@p2, SYSUTCDATETIME()) WHERE InstanceId = @p1',
    [id, seconds]);
}

export function seedProject(db: Engine, tenantId: string, name: string, status = 'active', budgetUsd: number | null = null): Promise<number> {
  return scalar(db,
    `INSERT INTO mmos.work_sessions (tenant_id, project_name, created_by, status, budget_usd)
     VALUES ($1, $2, 'seed', $3, $4::numeric) RETURNING project_id`,
    `INSERT INTO mmos.WorkSessions (TenantId, ProjectName, CreatedBy, Status, BudgetUsd)
     OUTPUT inserted.ProjectId VALUES (@p1, @p2, N'seed', @p3, CAST(@p4 AS DECIMAL(12,4)))`,
    [tenantId, name, status, budgetUsd]);
}

export interface SeedTask {
  key: string;
  status: 'blocked' | 'ready' | 'running' | 'review' | 'done' | 'retry_wait' | 'dead' | 'cancelled';
  priority?: number;
  phase?: string | null;
  unmetDependencies?: number;
  blockedReason?: string | null;
  /** Instance id of the worker holding the task (running) or that ran it. */
  claimedBy?: number | null;
  assignedTo?: number | null;
  /** Lease end relative to now, in seconds (negative: expired). Running tasks get a token. */
  leaseSeconds?: number | null;
  attempts?: number;
  maxAttempts?: number;
  /** NotBefore relative to now, in seconds. */
  notBeforeSeconds?: number;
  /** UpdatedAt this many seconds ago. */
  updatedSecondsAgo?: number;
  lastError?: string | null;
}

export function seedTask(db: Engine, tenantId: string, projectId: number, t: SeedTask): Promise<number> {
  const lease = t.leaseSeconds ?? null;
  return scalar(db,
    `INSERT INTO mmos.task_queue (tenant_id, project_id, task_key, title, status, priority, phase, unmet_dependencies,
        blocked_reason, claimed_by_instance_id, assigned_instance_id, lease_token, lease_expires_at, attempts, max_attempts,
        not_before, last_error, created_by, started_at, updated_at)
     VALUES ($1, $2, $3, $3, $4::text, $5, $6, $7, $8, $9, $10,
        CASE WHEN $11::integer IS NULL THEN NULL ELSE gen_random_uuid() END,
        CASE WHEN $11::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $11::integer) END,
        $12, $13, now() + make_interval(secs => $14::integer), $15, 'seed',
        CASE WHEN $4::text = 'running' THEN now() END, now() - make_interval(secs => $16::integer))
     RETURNING task_id`,
    `INSERT INTO mmos.TaskQueue (TenantId, ProjectId, TaskKey, Title, Status, Priority, Phase, UnmetDependencies,
        BlockedReason, ClaimedByInstanceId, AssignedInstanceId, LeaseToken, LeaseExpiresAt, Attempts, MaxAttempts,
        NotBefore, LastError, CreatedBy, StartedAt, UpdatedAt)
     OUTPUT inserted.TaskId
     VALUES (@p1, @p2, @p3, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10,
        CASE WHEN @p11 IS NULL THEN NULL ELSE NEWID() END,
        CASE WHEN @p11 IS NULL THEN NULL ELSE DATEADD(SECOND, @p11, SYSUTCDATETIME()) END,
        @p12, @p13, DATEADD(SECOND, @p14, SYSUTCDATETIME()), @p15, N'seed',
        CASE WHEN @p4 = N'running' THEN SYSUTCDATETIME() END, DATEADD(SECOND, -@p16, SYSUTCDATETIME()))`,
    [tenantId, projectId, t.key, t.status, t.priority ?? 0, t.phase ?? null, t.unmetDependencies ?? 0,
      t.blockedReason ?? null, t.claimedBy ?? null, t.assignedTo ?? null, lease, t.attempts ?? 0, t.maxAttempts ?? 3,
      t.notBeforeSeconds ?? 0, t.lastError ?? null, t.updatedSecondsAgo ?? 0]);
}

export async function seedDependency(db: Engine, tenantId: string, taskId: number, dependsOnTaskId: number): Promise<void> {
  await sql(db,
    'INSERT INTO mmos.task_dependencies (task_id, depends_on_task_id, tenant_id) VALUES ($1, $2, $3)',
    'INSERT INTO mmos.TaskDependencies (TaskId, DependsOnTaskId, TenantId) VALUES (@p1, @p2, @p3)',
    [taskId, dependsOnTaskId, tenantId]);
}

export async function seedUsage(db: Engine, tenantId: string, projectId: number, taskId: number, instanceId: number,
  tokensIn: number, tokensOut: number, costUsd: number): Promise<void> {
  await sql(db,
    `INSERT INTO mmos.usage_records (tenant_id, project_id, task_id, instance_id, tokens_in, tokens_out, cost_usd, cost_source)
     VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, 'reported')`,
    `INSERT INTO mmos.UsageRecords (TenantId, ProjectId, TaskId, InstanceId, TokensIn, TokensOut, CostUsd, CostSource)
     VALUES (@p1, @p2, @p3, @p4, @p5, @p6, CAST(@p7 AS DECIMAL(14,6)), N'reported')`,
    [tenantId, projectId, taskId, instanceId, tokensIn, tokensOut, costUsd]);
}

/** The columns of one task a lifecycle test checks, keyed the same on every engine. */
export async function taskState(db: Engine, taskId: number): Promise<{ status: string; claimedBy: number | null; leaseToken: string | null; attempts: number }> {
  const rows = await sql(db,
    `SELECT status, claimed_by_instance_id AS claimed_by, lease_token::text AS lease_token, attempts
       FROM mmos.task_queue WHERE task_id = $1`,
    `SELECT Status AS status, ClaimedByInstanceId AS claimed_by, LOWER(CAST(LeaseToken AS NVARCHAR(36))) AS lease_token, Attempts AS attempts
       FROM mmos.TaskQueue WHERE TaskId = @p1`,
    [taskId]);
  const r = rows[0]!;
  return {
    status: String(r['status']),
    claimedBy: r['claimed_by'] === null ? null : Number(r['claimed_by']),
    leaseToken: r['lease_token'] === null ? null : String(r['lease_token']),
    attempts: Number(r['attempts']),
  };
}

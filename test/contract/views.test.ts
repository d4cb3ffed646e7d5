import { beforeAll, expect, it } from 'vitest';
import type { Engine, Row } from '../../db/types.js';
import { snakeToCamel, pascalToCamel } from '../../db/names.js';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { as, unique } from '../support/identity.js';
import { ageHeartbeat, instanceIdOf, seedDependency, seedProject, seedTask, seedUsage, sql } from '../support/seed.js';
import { drainWorker, getSystemHealth, registerWorker, unregisterWorker } from '../../generated/index.js';

const targets = await engineTargets();

/** The four views: T-SQL name and PostgreSQL name. */
const VIEWS = {
  projectProgress: ['vw_ProjectProgress', 'vw_project_progress'],
  workerLoad: ['vw_WorkerLoad', 'vw_worker_load'],
  queue: ['vw_Queue', 'vw_queue'],
  deadLetters: ['vw_DeadLetters', 'vw_dead_letters'],
} as const;
type ViewKey = keyof typeof VIEWS;

/** Fixed query text per view and dialect: the tenant is the only parameter. */
function viewQuery(db: Engine, view: ViewKey): string {
  const [tsql, pg] = VIEWS[view];
  return db.kind === 'mssql' ? `SELECT * FROM mmos.${tsql} WHERE TenantId = @p1` : `SELECT * FROM mmos.${pg} WHERE tenant_id = $1`;
}

/** Rows with camelCase keys and plain values (numbers as numbers, times as ISO strings), whatever the engine. */
function plain(db: Engine, rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      const key = db.kind === 'mssql' ? pascalToCamel(k) : snakeToCamel(k);
      out[key] = v instanceof Date ? v.toISOString() : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && key !== 'taskKey' ? Number(v) : v;
    }
    return out;
  });
}

async function readView(db: Engine, view: ViewKey, tenantId: string, role?: 'reader' | 'admin' | 'worker') {
  return plain(db, await db.query(viewQuery(db, view), [tenantId], role ? { role } : undefined));
}

/**
 * One tenant with a known state:
 * workers fresh (online, capacity 2, 3 done / 1 failed), stale (online, capacity 1, heartbeat 200 s old),
 * drainer (draining, capacity 4), gone (offline);
 * projects main (active, budget 10), empty (active, no tasks), closed (completed);
 * tasks of main, in creation order: a done, b running (fresh), c running (drainer, lease expired),
 * d ready prio 5 (ready for 100 s), e ready, f ready prio 9 not before +1 h, g blocked on b and c,
 * h dead (3 of 3, 'boom'), i blocked on h with a reason, j blocked on h, k review, l retry_wait,
 * m cancelled, n cancelled depending on h; usage: a 1000/500 tokens $0.25, h 200/100 $0.05.
 */
interface Known {
  tenant: string;
  main: number; empty: number; closed: number;
  task: Record<string, number>;
}

async function seedKnown(db: Engine): Promise<Known> {
  const tenant = unique('t-views');
  const reg = (id: string, capacity: number) =>
    registerWorker(db, as(id, tenant), { instanceName: `${id}-1`, modelType: 'Claude', workerCapacity: capacity });
  await reg('fresh', 2);
  await reg('stale', 1);
  await reg('drainer', 4);
  await reg('gone', 1);
  await drainWorker(db, as('AdminClaude', tenant), { workerId: 'drainer' });
  await unregisterWorker(db, as('gone', tenant), {});
  await ageHeartbeat(db, tenant, 'stale', 200);
  const fresh = await instanceIdOf(db, tenant, 'fresh');
  const drainer = await instanceIdOf(db, tenant, 'drainer');
  await sql(db, 'UPDATE mmos.worker_pool SET tasks_completed = 3, tasks_failed = 1 WHERE instance_id = $1',
    'UPDATE mmos.WorkerPool SET TasksCompleted = 3, TasksFailed = 1 WHERE InstanceId = @p1', [fresh]);

  const main = await seedProject(db, tenant, 'main project', 'active', 10);
  const empty = await seedProject(db, tenant, 'empty project');
  const closed = await seedProject(db, tenant, 'closed project', 'completed');
  const task: Record<string, number> = {};
  const add = async (key: string, t: Omit<Parameters<typeof seedTask>[3], 'key'>) => { task[key] = await seedTask(db, tenant, main, { key, ...t }); };
  await add('a', { status: 'done', phase: 'design', claimedBy: fresh, attempts: 1 });
  await add('b', { status: 'running', phase: 'build', claimedBy: fresh, leaseSeconds: 300, attempts: 1 });
  await add('c', { status: 'running', phase: 'build', claimedBy: drainer, leaseSeconds: -10, attempts: 1 });
  await add('d', { status: 'ready', phase: 'build', priority: 5, notBeforeSeconds: -100, updatedSecondsAgo: 100 });
  await add('e', { status: 'ready', phase: 'build' });
  await add('f', { status: 'ready', phase: 'build', priority: 9, notBeforeSeconds: 3600 });
  await add('g', { status: 'blocked', phase: 'test', unmetDependencies: 2 });
  await add('h', { status: 'dead', phase: 'test', attempts: 3, maxAttempts: 3, lastError: 'boom' });
  await add('i', { status: 'blocked', phase: 'test', unmetDependencies: 1, blockedReason: 'dependency h is dead' });
  await add('j', { status: 'blocked', phase: 'test', unmetDependencies: 1 });
  await add('k', { status: 'review', phase: 'test' });
  await add('l', { status: 'retry_wait', phase: 'test', notBeforeSeconds: 60 });
  await add('m', { status: 'cancelled' });
  await add('n', { status: 'cancelled' });
  for (const [t, on] of [['g', 'b'], ['g', 'c'], ['i', 'h'], ['j', 'h'], ['n', 'h']] as const)
    await seedDependency(db, tenant, task[t]!, task[on]!);
  await seedUsage(db, tenant, main, task['a']!, fresh, 1000, 500, 0.25);
  await seedUsage(db, tenant, main, task['h']!, drainer, 200, 100, 0.05);
  return { tenant, main, empty, closed, task };
}

describeEachEngine('views for people', targets, (db) => {
  let k: Known;
  beforeAll(async () => { k = await seedKnown(db()); }, 60_000);

  it('vw_ProjectProgress: counts by status, progress, current phase, tokens and cost per project', async () => {
    const rows = await readView(db(), 'projectProgress', k.tenant);
    expect(rows.map((r) => r['projectId']).sort()).toEqual([k.main, k.empty, k.closed].sort());
    const main = rows.find((r) => r['projectId'] === k.main)!;
    expect(main).toMatchObject({
      tenantId: k.tenant, projectName: 'main project', projectStatus: 'active',
      totalTasks: 14, blockedTasks: 3, readyTasks: 3, runningTasks: 2, reviewTasks: 1, retryWaitTasks: 1,
      doneTasks: 1, deadTasks: 1, cancelledTasks: 2,
      progressPercent: 8, // 1 done of 12 not cancelled, rounded down
      currentPhase: 'build', // a (design) is done; b is the earliest unfinished task
      tokensIn: 1200, tokensOut: 600, costUsd: 0.3, budgetUsd: 10,
    });
    expect(rows.find((r) => r['projectId'] === k.empty)).toMatchObject({
      projectStatus: 'active', totalTasks: 0, doneTasks: 0, progressPercent: 0, currentPhase: null, tokensIn: 0, costUsd: 0, budgetUsd: null,
    });
    expect(rows.find((r) => r['projectId'] === k.closed)).toMatchObject({ projectStatus: 'completed', totalTasks: 0 });
  });

  it('vw_WorkerLoad: status, capacity, running, free, totals and heartbeat age per worker', async () => {
    const rows = await readView(db(), 'workerLoad', k.tenant);
    const by = Object.fromEntries(rows.map((r) => [r['workerId'], r]));
    expect(Object.keys(by).sort()).toEqual(['drainer', 'fresh', 'gone', 'stale']);
    expect(by['fresh']).toMatchObject({ tenantId: k.tenant, instanceName: 'fresh-1', status: 'online', workerCapacity: 2, runningTasks: 1, freeCapacity: 1, tasksCompleted: 3, tasksFailed: 1 });
    expect(by['stale']).toMatchObject({ status: 'online', workerCapacity: 1, runningTasks: 0, freeCapacity: 1 });
    expect(by['drainer']).toMatchObject({ status: 'draining', workerCapacity: 4, runningTasks: 1, freeCapacity: 0 });
    expect(by['gone']).toMatchObject({ status: 'offline', runningTasks: 0, freeCapacity: 0 });
    expect(by['stale']!['secondsSinceHeartbeat']).toBeGreaterThanOrEqual(200);
    expect(by['stale']!['secondsSinceHeartbeat']).toBeLessThan(260);
    expect(by['fresh']!['secondsSinceHeartbeat']).toBeLessThan(60);
  });

  it('vw_Queue: ready then blocked tasks in dequeue order, each with why it waits', async () => {
    const rows = await readView(db(), 'queue', k.tenant);
    rows.sort((x, y) => Number(x['queuePosition']) - Number(y['queuePosition']));
    expect(rows.map((r) => [r['queuePosition'], r['taskKey'], r['status'], r['isClaimable'], r['unmetDependencies'], r['waitReason']])).toEqual([
      [1, 'd', 'ready', true, 0, null],
      [2, 'e', 'ready', true, 0, null],
      [3, 'f', 'ready', false, 0, 'waiting until NotBefore'],
      [4, 'g', 'blocked', false, 2, 'waiting for 2 unfinished dependencies'],
      [5, 'i', 'blocked', false, 1, 'dependency h is dead'],
      [6, 'j', 'blocked', false, 1, 'waiting for 1 unfinished dependency'],
    ]);
    expect(rows[0]).toMatchObject({ tenantId: k.tenant, taskId: k.task['d'], projectId: k.main, priority: 5, phase: 'build', blockedReason: null, assignedWorkerId: null });
    expect(new Date(String(rows[2]!['notBefore'])).getTime()).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('vw_DeadLetters: dead tasks with the last error, attempts, project and blocked dependents', async () => {
    const rows = await readView(db(), 'deadLetters', k.tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      tenantId: k.tenant, taskId: k.task['h'], projectId: k.main, projectName: 'main project', taskKey: 'h', phase: 'test',
      attempts: 3, maxAttempts: 3, lastError: 'boom',
      blockedDependents: 2, // i and j; n is cancelled
    });
    expect(rows[0]!['diedAt']).not.toBeNull();
  });

  it('GetSystemHealth gives the same numbers in one row', async () => {
    const admin = as('AdminClaude', k.tenant);
    const [health] = await getSystemHealth(db(), admin, {});
    expect(health).toMatchObject({
      workersOnline: 2, workersDraining: 1, workersOffline: 1, workersStale: 1,
      totalCapacity: 3, freeCapacity: 2,
      tasksBlocked: 3, tasksReady: 3, tasksRunning: 2, tasksReview: 1, tasksRetryWait: 1, tasksDead: 1,
      expiredLeases: 1, activeProjects: 2,
    });
    expect(health!.oldestReadyAgeSeconds).toBeGreaterThanOrEqual(100);
    expect(health!.oldestReadyAgeSeconds).toBeLessThan(160);
    // a longer timeout: the 200 s old heartbeat is no longer stale
    expect((await getSystemHealth(db(), admin, { heartbeatTimeoutSeconds: 300 }))[0]!.workersStale).toBe(0);
    expect((await getSystemHealth(db(), admin, { heartbeatTimeoutSeconds: 150 }))[0]!.workersStale).toBe(1);
  });

  it('GetSystemHealth of an empty tenant is all zeros, and refuses a timeout out of range', async () => {
    const [health] = await getSystemHealth(db(), as('AdminClaude', unique('t-empty')), {});
    expect(health).toEqual({
      workersOnline: 0, workersDraining: 0, workersOffline: 0, workersStale: 0, totalCapacity: 0, freeCapacity: 0,
      tasksBlocked: 0, tasksReady: 0, tasksRunning: 0, tasksReview: 0, tasksRetryWait: 0, tasksDead: 0,
      expiredLeases: 0, oldestReadyAgeSeconds: null, activeProjects: 0,
    });
    for (const bad of [0, 86401, -5])
      await expect(getSystemHealth(db(), as('AdminClaude', k.tenant), { heartbeatTimeoutSeconds: bad }))
        .rejects.toMatchObject({ number: 50400, message: 'heartbeat timeout must be between 1 and 86400 seconds' });
  });

  it('the reader role may SELECT every view but no table', async () => {
    for (const view of Object.keys(VIEWS) as ViewKey[]) {
      const asReader = await readView(db(), view, k.tenant, 'reader');
      expect(asReader, view).toEqual(await readView(db(), view, k.tenant));
      expect(asReader.length, view).toBeGreaterThan(0);
    }
    const tables = db().kind === 'mssql'
      ? ['TaskQueue', 'ModelInstances', 'WorkerPool', 'InterWorkerMessages', 'UsageRecords'].map((t) => `SELECT COUNT(*) AS n FROM mmos.${t}`)
      : ['task_queue', 'model_instances', 'worker_pool', 'inter_worker_messages', 'usage_records'].map((t) => `SELECT count(*) AS n FROM mmos.${t}`);
    for (const text of tables)
      await expect(db().query(text, [], { role: 'reader' }), text).rejects.toThrow(/permission denied|SELECT permission was denied/i);
  });
});

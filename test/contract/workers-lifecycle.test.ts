import { expect, it } from 'vitest';
import type { Engine } from '../../db/types.js';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { admin, as, unique } from '../support/identity.js';
import { ageHeartbeat, instanceIdOf, scalar, seedProject, seedTask, sql, taskState } from '../support/seed.js';
import { createProjectWithPlan } from '../support/fixtures.js';
import { claimNextTask, completeTask, drainWorker, heartbeat, listWorkers, readMessages, registerWorker, sendMessage, unregisterWorker } from '../../generated/index.js';

const targets = await engineTargets();

/** Status, heartbeat and last-active time of one worker, read from the tables. */
async function poolRow(db: Engine, tenantId: string, workerId: string) {
  const rows = await sql(db,
    `SELECT wp.status, wp.last_heartbeat_at, wp.offline_at, mi.last_active
       FROM mmos.worker_pool wp JOIN mmos.model_instances mi ON mi.instance_id = wp.instance_id
      WHERE mi.tenant_id = $1 AND mi.worker_id = $2`,
    `SELECT wp.Status AS status, wp.LastHeartbeatAt AS last_heartbeat_at, wp.OfflineAt AS offline_at, mi.LastActive AS last_active
       FROM mmos.WorkerPool wp JOIN mmos.ModelInstances mi ON mi.InstanceId = wp.InstanceId
      WHERE mi.TenantId = @p1 AND mi.WorkerId = @p2`,
    [tenantId, workerId]);
  const r = rows[0];
  if (!r) return undefined;
  const time = (v: unknown) => (v === null ? null : new Date(v as string).getTime());
  return { status: String(r['status']), heartbeat: time(r['last_heartbeat_at'])!, offlineAt: time(r['offline_at']), lastActive: time(r['last_active'])! };
}

function eventsOf(db: Engine, taskId: number) {
  return sql(db,
    'SELECT event_type, from_status, to_status, actor FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id',
    'SELECT EventType AS event_type, FromStatus AS from_status, ToStatus AS to_status, Actor AS actor FROM mmos.TaskEvents WHERE TaskId = @p1 ORDER BY EventId',
    [taskId]);
}

function workerCount(db: Engine, tenantId: string) {
  return scalar(db, 'SELECT count(*) FROM mmos.model_instances WHERE tenant_id = $1', 'SELECT COUNT(*) FROM mmos.ModelInstances WHERE TenantId = @p1', [tenantId]);
}

describeEachEngine('workers: lifecycle and discovery', targets, (db) => {
  const register = (id: string, tenant = 'default', extra: Partial<Parameters<typeof registerWorker>[2]> = {}) =>
    registerWorker(db(), as(id, tenant), { instanceName: `${id}-instance`, modelType: 'Claude', ...extra });

  it('heartbeat refreshes the heartbeat and last-active time and reports running tasks', async () => {
    const id = unique('hb');
    await register(id, 'default', { workerCapacity: 3 });
    await ageHeartbeat(db(), 'default', id, 3600);
    const before = (await poolRow(db(), 'default', id))!;
    const project = await seedProject(db(), 'default', unique('hb-project'));
    const me = await instanceIdOf(db(), 'default', id);
    await seedTask(db(), 'default', project, { key: 'a', status: 'running', claimedBy: me, leaseSeconds: 300 });
    await seedTask(db(), 'default', project, { key: 'b', status: 'running', claimedBy: me, leaseSeconds: 300 });
    await seedTask(db(), 'default', project, { key: 'c', status: 'done', claimedBy: me });

    const [row] = await heartbeat(db(), as(id), {});
    expect(row).toMatchObject({ workerId: id, status: 'online', runningTasks: 2, unreadMessages: 0 });
    const after = (await poolRow(db(), 'default', id))!;
    expect(after.heartbeat - before.heartbeat).toBeGreaterThan(3500_000);
    expect(after.lastActive - before.lastActive).toBeGreaterThan(3500_000);
    expect(new Date(row!.lastHeartbeatAt!).getTime()).toBe(after.heartbeat);
    // idempotent: again, same answer
    expect((await heartbeat(db(), as(id), {}))[0]).toMatchObject({ workerId: id, status: 'online', runningTasks: 2 });
  });

  it('heartbeat brings an offline worker back online and leaves a draining worker draining', async () => {
    const off = unique('hb-off');
    await register(off);
    await unregisterWorker(db(), as(off), {});
    expect((await poolRow(db(), 'default', off))!.offlineAt).not.toBeNull();
    expect((await heartbeat(db(), as(off), {}))[0]!.status).toBe('online');
    expect(await poolRow(db(), 'default', off)).toMatchObject({ status: 'online', offlineAt: null });

    const draining = unique('hb-drain');
    await register(draining);
    await drainWorker(db(), admin, { workerId: draining });
    expect((await heartbeat(db(), as(draining), {}))[0]!.status).toBe('draining');
    expect((await poolRow(db(), 'default', draining))!.status).toBe('draining');
  });

  it('heartbeat counts unread messages until they are read', async () => {
    const id = unique('hb-msg');
    await register(id);
    await sendMessage(db(), admin, { toWorkerId: id, content: 'one' });
    await sendMessage(db(), admin, { toWorkerId: id, content: 'two' });
    expect((await heartbeat(db(), as(id), {}))[0]!.unreadMessages).toBe(2);
    await readMessages(db(), as(id), { maxMessages: 1 });
    expect((await heartbeat(db(), as(id), {}))[0]!.unreadMessages).toBe(1);
    await readMessages(db(), as(id), {});
    expect((await heartbeat(db(), as(id), {}))[0]!.unreadMessages).toBe(0);
  });

  it('heartbeat refuses an unknown worker with 50404 and creates nothing', async () => {
    const tenant = unique('t-hb');
    const id = unique('ghost');
    await expect(heartbeat(db(), as(id, tenant), {})).rejects.toMatchObject({ number: 50404, message: `worker ${id} not found` });
    expect(await workerCount(db(), tenant)).toBe(0);
    // a worker of another tenant is unknown here too
    const other = unique('hb-other');
    await register(other);
    await expect(heartbeat(db(), as(other, tenant), {})).rejects.toMatchObject({ number: 50404 });
  });

  it('drain: the worker keeps its running tasks and leases; draining again changes nothing', async () => {
    const id = unique('drain');
    await register(id, 'default', { workerCapacity: 2 });
    const project = await seedProject(db(), 'default', unique('drain-project'));
    const task = await seedTask(db(), 'default', project, { key: 'a', status: 'running', claimedBy: await instanceIdOf(db(), 'default', id), leaseSeconds: 300 });
    const lease = (await taskState(db(), task)).leaseToken;

    expect(await drainWorker(db(), admin, { workerId: id })).toEqual([{ workerId: id, status: 'draining', runningTasks: 1 }]);
    expect(await taskState(db(), task)).toMatchObject({ status: 'running', leaseToken: lease });
    expect(await drainWorker(db(), admin, { workerId: id })).toEqual([{ workerId: id, status: 'draining', runningTasks: 1 }]);
    // a draining worker offers no free capacity
    const listed = (await listWorkers(db(), admin, { status: 'draining' })).find((w) => w.workerId === id);
    expect(listed).toMatchObject({ status: 'draining', runningTasks: 1, freeCapacity: 0 });
  });

  it('drain refuses an unknown worker (50404), an offline one (50409) and an empty id (50400), changing nothing', async () => {
    const ghost = unique('drain-ghost');
    await expect(drainWorker(db(), admin, { workerId: ghost })).rejects.toMatchObject({ number: 50404, message: `worker ${ghost} not found` });
    await expect(drainWorker(db(), admin, { workerId: '' })).rejects.toMatchObject({ number: 50400, message: 'worker id is empty' });
    expect(await poolRow(db(), 'default', ghost)).toBeUndefined();

    const off = unique('drain-off');
    await register(off);
    await unregisterWorker(db(), as(off), {});
    const before = await poolRow(db(), 'default', off);
    await expect(drainWorker(db(), admin, { workerId: off })).rejects.toMatchObject({ number: 50409, message: `worker ${off} is offline` });
    expect(await poolRow(db(), 'default', off)).toEqual(before);
  });

  it("unregister: offline, rows kept, running tasks back to ready with the claim's attempt taken back, released events", async () => {
    const id = unique('unreg');
    const other = unique('unreg-other');
    await register(id, 'default', { capabilities: ['coding'] });
    await register(other);
    const me = await instanceIdOf(db(), 'default', id);
    const project = await seedProject(db(), 'default', unique('unreg-project'));
    const running1 = await seedTask(db(), 'default', project, { key: 'r1', status: 'running', claimedBy: me, leaseSeconds: 300, attempts: 1 });
    const running2 = await seedTask(db(), 'default', project, { key: 'r2', status: 'running', claimedBy: me, leaseSeconds: -5, attempts: 2 });
    const done = await seedTask(db(), 'default', project, { key: 'd', status: 'done', claimedBy: me, attempts: 1 });
    const othersTask = await seedTask(db(), 'default', project, { key: 'o', status: 'running', claimedBy: await instanceIdOf(db(), 'default', other), leaseSeconds: 300, attempts: 1 });
    const othersBefore = await taskState(db(), othersTask);

    const [row] = await unregisterWorker(db(), as(id), {});
    expect(row).toMatchObject({ workerId: id, status: 'offline', releasedTasks: 2 });
    expect(row!.offlineAt).not.toBeNull();

    expect(await taskState(db(), running1)).toEqual({ status: 'ready', claimedBy: null, leaseToken: null, attempts: 0 });
    expect(await taskState(db(), running2)).toEqual({ status: 'ready', claimedBy: null, leaseToken: null, attempts: 1 });
    expect(await taskState(db(), done)).toMatchObject({ status: 'done', claimedBy: me });
    expect(await taskState(db(), othersTask)).toEqual(othersBefore);
    for (const t of [running1, running2])
      expect(await eventsOf(db(), t)).toEqual([{ event_type: 'released', from_status: 'running', to_status: 'ready', actor: id }]);
    expect(await eventsOf(db(), done)).toEqual([]);

    // history kept: the worker is still listed, offline, with its capabilities
    const listed = (await listWorkers(db(), admin, { status: 'offline' })).find((w) => w.workerId === id);
    expect(listed).toMatchObject({ status: 'offline', capabilities: ['coding'], runningTasks: 0, freeCapacity: 0 });

    // idempotent: nothing left to release, the offline time stays
    const again = await unregisterWorker(db(), as(id), {});
    expect(again[0]).toMatchObject({ workerId: id, status: 'offline', releasedTasks: 0, offlineAt: row!.offlineAt });
    expect(await eventsOf(db(), running1)).toHaveLength(1);
  });

  it('unregister acts only on the caller: naming another worker is refused, an unknown caller gets 50404', async () => {
    const id = unique('unreg-self');
    const victim = unique('unreg-victim');
    await register(id);
    await register(victim);
    await expect(unregisterWorker(db(), as(id), { workerId: victim } as never)).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('workerId') });
    expect((await poolRow(db(), 'default', victim))!.status).toBe('online');
    expect((await poolRow(db(), 'default', id))!.status).toBe('online');

    const tenant = unique('t-unreg');
    const ghost = unique('unreg-ghost');
    await expect(unregisterWorker(db(), as(ghost, tenant), {})).rejects.toMatchObject({ number: 50404, message: `worker ${ghost} not found` });
    expect(await workerCount(db(), tenant)).toBe(0);
  });

  it('with the real claim: drained claims nothing new, unregistered gives its task back for another worker, old lease dead', async () => {
    const tenant = unique('t-flow');
    const [w1, w2] = ['w1', 'w2'];
    await register(w1, tenant, { workerCapacity: 2 });
    await register(w2, tenant);
    const { taskIds } = await createProjectWithPlan(db(), as('AdminClaude', tenant), [
      { key: 'first', title: 'First', priority: 1 }, { key: 'second', title: 'Second' },
    ]);
    const [first, second] = [taskIds['first']!, taskIds['second']!];

    const [claimed] = await claimNextTask(db(), as(w1, tenant), {});
    expect(claimed).toMatchObject({ taskId: first, attempts: 1 });
    await drainWorker(db(), as('AdminClaude', tenant), { workerId: w1 });
    expect(await claimNextTask(db(), as(w1, tenant), {})).toEqual([]);
    expect((await heartbeat(db(), as(w1, tenant), {}))[0]).toMatchObject({ status: 'draining', runningTasks: 1 });

    expect((await unregisterWorker(db(), as(w1, tenant), {}))[0]).toMatchObject({ status: 'offline', releasedTasks: 1 });
    expect(await taskState(db(), first)).toEqual({ status: 'ready', claimedBy: null, leaseToken: null, attempts: 0 });
    expect((await eventsOf(db(), first)).map((e) => e['event_type']).slice(-2)).toEqual(['claimed', 'released']);
    // the released lease is dead: completing under it is refused and changes nothing
    await expect(completeTask(db(), as(w1, tenant), { taskId: first, leaseToken: claimed!.leaseToken!, result: 'late' })).rejects.toMatchObject({ number: 50409 });
    expect(await taskState(db(), first)).toEqual({ status: 'ready', claimedBy: null, leaseToken: null, attempts: 0 });

    const [again] = await claimNextTask(db(), as(w2, tenant), {});
    expect(again).toMatchObject({ taskId: first, attempts: 1 });
    expect(again!.leaseToken).not.toBe(claimed!.leaseToken);
    await expect(completeTask(db(), as(w2, tenant), { taskId: first, leaseToken: claimed!.leaseToken!, result: 'late' })).rejects.toMatchObject({ number: 50412 });
    expect((await taskState(db(), first)).status).toBe('running');
    expect((await taskState(db(), second)).status).toBe('ready');
  });

  it('list workers: one row per worker of the tenant with capacity, prices, totals and heartbeat age', async () => {
    const tenant = unique('t-list');
    const [a, b, c] = ['a-worker', 'b-worker', 'c-worker'];
    await register(a, tenant, { modelName: 'claude-sonnet-4-5', capabilities: ['Coding', 'general'], workerCapacity: 3, qualityTier: 3, inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
    await register(b, tenant, { modelType: 'Gemini', capabilities: ['research'], workerCapacity: 2 });
    await register(c, tenant, { modelType: 'Codex' });
    await register(unique('elsewhere'), 'default', { capabilities: ['coding'] });
    await drainWorker(db(), as('AdminClaude', tenant), { workerId: b });
    await unregisterWorker(db(), as(c, tenant), {});
    const project = await seedProject(db(), tenant, 'list-project');
    await seedTask(db(), tenant, project, { key: 'a1', status: 'running', claimedBy: await instanceIdOf(db(), tenant, a), leaseSeconds: 300 });
    await seedTask(db(), tenant, project, { key: 'b1', status: 'running', claimedBy: await instanceIdOf(db(), tenant, b), leaseSeconds: 300 });
    await sql(db(), 'UPDATE mmos.worker_pool SET tasks_completed = 7, tasks_failed = 2 WHERE instance_id = $1',
      'UPDATE mmos.WorkerPool SET TasksCompleted = 7, TasksFailed = 2 WHERE InstanceId = @p1', [await instanceIdOf(db(), tenant, a)]);
    await ageHeartbeat(db(), tenant, a, 120);

    const adminOfTenant = as('AdminClaude', tenant);
    const all = await listWorkers(db(), adminOfTenant, {});
    expect(all.map((w) => w.workerId)).toEqual([a, b, c]);
    expect(all[0]).toMatchObject({
      workerId: a, instanceName: `${a}-instance`, modelType: 'Claude', modelName: 'claude-sonnet-4-5', status: 'online',
      capabilities: ['coding', 'general'], workerCapacity: 3, runningTasks: 1, freeCapacity: 2, qualityTier: 3,
      inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15, tasksCompleted: 7, tasksFailed: 2,
    });
    expect(all[0]!.secondsSinceHeartbeat).toBeGreaterThanOrEqual(120);
    expect(all[0]!.secondsSinceHeartbeat).toBeLessThan(180);
    expect(all[1]).toMatchObject({ workerId: b, modelType: 'Gemini', status: 'draining', workerCapacity: 2, runningTasks: 1, freeCapacity: 0, tasksCompleted: 0 });
    expect(all[2]).toMatchObject({ workerId: c, status: 'offline', capabilities: [], runningTasks: 0, freeCapacity: 0 });
    expect(all[2]!.secondsSinceHeartbeat).toBeLessThan(60);
    expect(typeof all[2]!.lastHeartbeatAt).toBe('string');

    // filters: status (any case), capability (any case), both
    expect((await listWorkers(db(), adminOfTenant, { status: 'draining' })).map((w) => w.workerId)).toEqual([b]);
    expect((await listWorkers(db(), adminOfTenant, { status: 'ONLINE' })).map((w) => w.workerId)).toEqual([a]);
    expect((await listWorkers(db(), adminOfTenant, { capability: 'CODING' })).map((w) => w.workerId)).toEqual([a]);
    expect((await listWorkers(db(), adminOfTenant, { capability: 'research', status: 'online' }))).toEqual([]);
    expect((await listWorkers(db(), adminOfTenant, { status: null, capability: null })).map((w) => w.workerId)).toEqual([a, b, c]);
    // a worker may discover its colleagues too (same procedure, role worker)
    expect((await listWorkers(db(), as(a, tenant), {})).length).toBe(3);
  });

  it('the database enforces the roles: a worker may not drain, an admin may not heartbeat or unregister as a worker', async () => {
    const id = unique('roles');
    await register(id);
    const denied = /permission denied|EXECUTE permission was denied/i;
    await expect(drainWorker(db(), as(id), { workerId: id }, { role: 'worker' })).rejects.toThrow(denied);
    await expect(heartbeat(db(), as(id), {}, { role: 'admin' })).rejects.toThrow(denied);
    await expect(unregisterWorker(db(), as(id), {}, { role: 'admin' })).rejects.toThrow(denied);
    await expect(listWorkers(db(), as(id), {}, { role: 'reader' })).rejects.toThrow(denied);
    expect((await poolRow(db(), 'default', id))!.status).toBe('online');
    expect((await heartbeat(db(), as(id), {}, { role: 'worker' }))[0]!.status).toBe('online');
    expect((await listWorkers(db(), as(id), {}, { role: 'worker' })).some((w) => w.workerId === id)).toBe(true);
    expect((await drainWorker(db(), admin, { workerId: id }, { role: 'admin' }))[0]!.status).toBe('draining');
    expect((await unregisterWorker(db(), as(id), {}, { role: 'worker' }))[0]!.status).toBe('offline');
  });

  it('list workers refuses an unknown status filter and an oversized capability with 50400', async () => {
    await expect(listWorkers(db(), admin, { status: 'busy' })).rejects.toMatchObject({
      number: 50400, message: "unknown worker status 'busy': use online, draining or offline",
    });
    await expect(listWorkers(db(), admin, { status: '' })).rejects.toMatchObject({ number: 50400 });
    await expect(listWorkers(db(), admin, { capability: 'x'.repeat(51) })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('capability') });
  });
});

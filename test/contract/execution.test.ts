import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { createProjectWithPlan, tableCounts, taskRows } from '../support/fixtures.js';
import { sql, ageHeartbeat } from '../support/seed.js';
import { assignTo, events, notBeforePassed, scene, task, workerState } from '../support/execution.js';
import type { ProcedureSignature } from '../../db/types.js';
import {
  claimNextTask, completeTask, drainWorker, failTask, failTaskSignature, releaseTask, releaseTaskSignature, reportProgress,
  reportProgressSignature, unregisterWorker,
} from '../../generated/index.js';

const targets = await engineTargets();

/** ClaimNextTask and the lease rules every worker call shares (progress, complete, fail, release). */
describeEachEngine('execution: claim and lease', targets, (db) => {
  it('claims tasks assigned to the worker first, then by priority, then oldest first; never one assigned to another worker', async () => {
    const s = scene(db());
    const me = await s.worker({ workerCapacity: 10 });
    const other = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'old-low', title: 'old, priority 0' },
      { key: 'high-1', title: 'priority 5, older', priority: 5 },
      { key: 'high-2', title: 'priority 5, newer', priority: 5 },
      { key: 'mine', title: 'assigned to me, priority 0' },
      { key: 'theirs', title: 'assigned to the other worker, priority 9', priority: 9 },
      { key: 'new-low', title: 'newest, priority 0' },
    ]);
    await assignTo(db(), taskIds['mine']!, me.instanceId);
    await assignTo(db(), taskIds['theirs']!, other.instanceId);

    const order: string[] = [];
    for (;;) {
      const rows = await claimNextTask(db(), me.id, {});
      if (!rows.length) break;
      order.push(rows[0]!.taskKey!);
    }
    expect(order).toEqual(['mine', 'high-1', 'high-2', 'old-low', 'new-low']);
    expect((await task(db(), taskIds['theirs']!)).status).toBe('ready');
    const theirs = await claimNextTask(db(), other.id, {});
    expect(theirs.map((r) => r.taskKey)).toEqual(['theirs']);
  });

  it('returns the claimed task with a lease, counts the attempt and writes a claimed event', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { projectId, taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'a', title: 'Task A', description: 'do A', type: 'coding', phase: 'build', priority: 3, complexity: 'low', maxAttempts: 4 },
    ]);
    const before = Date.now();
    const [row] = await claimNextTask(db(), me.id, { leaseSeconds: 120 });
    expect(row).toMatchObject({
      taskId: taskIds['a'], projectId, taskKey: 'a', title: 'Task A', description: 'do A', taskType: 'coding', phase: 'build',
      priority: 3, complexity: 'low', attempts: 1, maxAttempts: 4, reviewFeedback: null, dependencyResults: [],
    });
    expect(row!.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    const leaseEnd = Date.parse(row!.leaseExpiresAt!);
    expect(leaseEnd).toBeGreaterThan(before + 110_000);
    expect(leaseEnd).toBeLessThan(Date.now() + 130_000);
    expect(await task(db(), taskIds['a']!)).toMatchObject({ status: 'running', claimedBy: me.instanceId, leaseToken: row!.leaseToken, attempts: 1 });
    expect(await events(db(), taskIds['a']!)).toEqual(['created', 'claimed']);
  });

  it('only hands out tasks whose required capabilities the worker all has', async () => {
    const s = scene(db());
    const coder = await s.worker({ capabilities: ['coding'] });
    const full = await s.worker({ capabilities: ['coding', 'sql', 'docs'] });
    const none = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'needs-both', title: 'needs coding and sql', capabilities: ['coding', 'SQL'], priority: 9 },
      { key: 'anyone', title: 'needs nothing' },
    ]);
    expect((await claimNextTask(db(), coder.id, {})).map((r) => r.taskKey)).toEqual(['anyone']);
    expect(await claimNextTask(db(), coder.id, {})).toEqual([]);
    expect(await claimNextTask(db(), none.id, {})).toEqual([]);
    expect((await claimNextTask(db(), full.id, {})).map((r) => r.taskKey)).toEqual(['needs-both']);
    expect((await task(db(), taskIds['needs-both']!)).claimedBy).toBe(full.instanceId);
  });

  it('never runs more tasks at once than the worker capacity, even with concurrent claims', async () => {
    const s = scene(db());
    const me = await s.worker({ workerCapacity: 2 });
    await createProjectWithPlan(db(), s.admin, Array.from({ length: 6 }, (_, i) => ({ key: `t${i}`, title: `T${i}` })));
    const results = await Promise.all(Array.from({ length: 8 }, () => claimNextTask(db(), me.id, {})));
    const claimed = results.flat();
    expect(claimed).toHaveLength(2);
    expect(new Set(claimed.map((r) => r.taskId)).size).toBe(2);
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
    // finishing one frees one slot
    await completeTask(db(), me.id, { taskId: claimed[0]!.taskId!, leaseToken: claimed[0]!.leaseToken!, result: 'ok' });
    expect(await claimNextTask(db(), me.id, {})).toHaveLength(1);
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
  });

  it('respects NotBefore and leaves tasks of inactive projects alone', async () => {
    const s = scene(db());
    const me = await s.worker();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'later', title: 'not yet', notBefore: later, priority: 9 }]);
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
    await notBeforePassed(db(), taskIds['later']!);
    expect((await claimNextTask(db(), me.id, {})).map((r) => r.taskKey)).toEqual(['later']);

    const paused = await createProjectWithPlan(db(), s.admin, [{ key: 'p', title: 'in a cancelled project' }]);
    await sql(db(), "UPDATE mmos.work_sessions SET status = 'cancelled' WHERE project_id = $1",
      "UPDATE mmos.WorkSessions SET Status = N'cancelled' WHERE ProjectId = @p1", [paused.projectId]);
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
    expect((await task(db(), paused.taskIds['p']!)).status).toBe('ready');
  });

  it('gives a draining or offline worker no row (not an error) and still refreshes its heartbeat', async () => {
    const s = scene(db());
    const drained = await s.worker();
    const gone = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }]);
    await drainWorker(db(), s.admin, { workerId: drained.workerId });
    await ageHeartbeat(db(), s.tenant, drained.workerId, 60);
    const stale = (await workerState(db(), drained.instanceId)).lastHeartbeatAt;
    expect(await claimNextTask(db(), drained.id, {})).toEqual([]);
    const after = await workerState(db(), drained.instanceId);
    expect(after.status).toBe('draining');
    expect(Date.parse(after.lastHeartbeatAt)).toBeGreaterThan(Date.parse(stale));

    await unregisterWorker(db(), gone.id, {});
    expect(await claimNextTask(db(), gone.id, {})).toEqual([]);
    expect((await task(db(), taskIds['a']!)).status).toBe('ready');
  });

  it('refuses an unknown worker (50404) and a bad lease length (50400), changing nothing', async () => {
    const s = scene(db());
    const me = await s.worker();
    await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }]);
    const before = await tableCounts(db(), s.tenant);
    const rows = await taskRows(db(), s.tenant);
    await expect(claimNextTask(db(), { tenantId: s.tenant, callerId: 'nobody' }, {}))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('worker nobody not found') });
    await expect(claimNextTask(db(), me.id, { leaseSeconds: 0 }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('lease seconds') });
    await expect(claimNextTask(db(), me.id, { leaseSeconds: 86401 })).rejects.toMatchObject({ number: 50400 });
    expect(await tableCounts(db(), s.tenant)).toEqual(before);
    expect(await taskRows(db(), s.tenant)).toEqual(rows);
  });

  it('keeps tenants apart: no claim across tenants, and another tenant\'s task is not found', async () => {
    const a = scene(db());
    const b = scene(db());
    const workerA = await a.worker();
    const workerB = await b.worker();
    const { taskIds } = await createProjectWithPlan(db(), a.admin, [{ key: 'a', title: 'A' }]);
    expect(await claimNextTask(db(), workerB.id, {})).toEqual([]);
    const [claim] = await claimNextTask(db(), workerA.id, {});
    await expect(completeTask(db(), workerB.id, { taskId: taskIds['a']!, leaseToken: claim!.leaseToken!, result: 'x' }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining(`task ${taskIds['a']} not found`) });
  });

  it('ReportProgress extends the lease, keeps what is not given, and refreshes the heartbeat', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }]);
    const [claim] = await claimNextTask(db(), me.id, { leaseSeconds: 30 });
    await ageHeartbeat(db(), s.tenant, me.workerId, 60);
    const [p1] = await reportProgress(db(), me.id, { taskId: claim!.taskId!, leaseToken: claim!.leaseToken!, progressPercent: 40, note: 'parsing', leaseSeconds: 600 });
    expect(p1).toMatchObject({ taskId: taskIds['a'], status: 'running', progressPercent: 40 });
    expect(Date.parse(p1!.leaseExpiresAt!)).toBeGreaterThan(Date.parse(claim!.leaseExpiresAt!) + 500_000);
    const [p2] = await reportProgress(db(), me.id, { taskId: claim!.taskId!, leaseToken: claim!.leaseToken! });
    expect(p2!.progressPercent).toBe(40);
    expect(Date.now() - Date.parse((await workerState(db(), me.instanceId)).lastHeartbeatAt)).toBeLessThan(30_000);
    expect((await events(db(), taskIds['a']!)).filter((e) => e === 'progress')).toHaveLength(2);
  });

  it('refuses stale, foreign and missing leases with 50412 / 50409 / 50404 on every lease call, changing nothing', async () => {
    const s = scene(db());
    const me = await s.worker();
    const other = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }, { key: 'idle', title: 'never claimed', priority: -1 }]);
    const [first] = await claimNextTask(db(), me.id, {});
    expect(first!.taskKey).toBe('a');
    // me gives it back and claims it again: the first token is now stale
    await releaseTask(db(), me.id, { taskId: first!.taskId!, leaseToken: first!.leaseToken! });
    const [second] = await claimNextTask(db(), me.id, {});
    expect(second!.taskId).toBe(first!.taskId);
    const id = first!.taskId!;

    const before = await tableCounts(db(), s.tenant);
    const rows = await taskRows(db(), s.tenant);
    const worker = await workerState(db(), me.instanceId);
    // thunks: each call starts only when awaited, so no refusal goes unhandled
    const calls = (who: typeof me.id, token: string, taskId = id) => [
      () => reportProgress(db(), who, { taskId, leaseToken: token, progressPercent: 50 }),
      () => completeTask(db(), who, { taskId, leaseToken: token, result: 'done', tokensIn: 10 }),
      () => failTask(db(), who, { taskId, leaseToken: token, error: 'boom', retryable: false }),
      () => releaseTask(db(), who, { taskId, leaseToken: token }),
    ];
    for (const call of calls(me.id, first!.leaseToken!))
      await expect(call()).rejects.toMatchObject({ number: 50412, message: expect.stringContaining(`lease token for task ${id} is stale`) });
    for (const call of calls(other.id, second!.leaseToken!))
      await expect(call()).rejects.toMatchObject({ number: 50412, message: expect.stringContaining(`task ${id} is leased to another worker`) });
    for (const call of calls(me.id, second!.leaseToken!, taskIds['idle']!))
      await expect(call()).rejects.toMatchObject({ number: 50409, message: expect.stringContaining(`task ${taskIds['idle']} is ready, not running`) });
    for (const call of calls(me.id, second!.leaseToken!, 987654321))
      await expect(call()).rejects.toMatchObject({ number: 50404, message: expect.stringContaining('task 987654321 not found') });
    for (const call of calls({ tenantId: s.tenant, callerId: 'nobody' }, second!.leaseToken!))
      await expect(call()).rejects.toMatchObject({ number: 50404, message: expect.stringContaining('worker nobody not found') });

    expect(await tableCounts(db(), s.tenant)).toEqual(before);
    expect(await taskRows(db(), s.tenant)).toEqual(rows);
    const workerAfter = await workerState(db(), me.instanceId);
    expect([workerAfter.tasksCompleted, workerAfter.tasksFailed]).toEqual([worker.tasksCompleted, worker.tasksFailed]);
    // the current lease still works
    await expect(completeTask(db(), me.id, { taskId: id, leaseToken: second!.leaseToken!, result: 'ok' })).resolves.toHaveLength(1);
  });

  it('refuses bad arguments with 50400 naming them, changing nothing', async () => {
    const s = scene(db());
    const me = await s.worker();
    await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }]);
    const [c] = await claimNextTask(db(), me.id, {});
    const lease = { taskId: c!.taskId!, leaseToken: c!.leaseToken! };
    const before = await tableCounts(db(), s.tenant);
    const rows = await taskRows(db(), s.tenant);
    const refusals: [() => Promise<unknown>, string][] = [
      [() => reportProgress(db(), me.id, { ...lease, progressPercent: 101 }), 'progress percent'],
      [() => reportProgress(db(), me.id, { ...lease, progressPercent: -1 }), 'progress percent'],
      [() => reportProgress(db(), me.id, { ...lease, note: 'n'.repeat(1001) }), 'note'],
      [() => reportProgress(db(), me.id, { ...lease, leaseSeconds: 0 }), 'lease seconds'],
      [() => completeTask(db(), me.id, { ...lease, result: '' }), 'result is empty'],
      [() => completeTask(db(), me.id, { ...lease, result: 'r'.repeat(100_001) }), 'result is longer than 100000 characters'],
      [() => completeTask(db(), me.id, { ...lease, result: 'ok', tokensIn: -1 }), 'token counts'],
      [() => completeTask(db(), me.id, { ...lease, result: 'ok', costUsd: -0.5 }), 'cost'],
      [() => failTask(db(), me.id, { ...lease, error: '' }), 'error is empty'],
      [() => failTask(db(), me.id, { ...lease, error: 'e'.repeat(4001) }), 'error'],
      [() => failTask(db(), me.id, { ...lease, error: 'x', tokensOut: -5 }), 'token counts'],
      [() => releaseTask(db(), me.id, { ...lease, reason: 'r'.repeat(401) }), 'reason'],
    ];
    for (const [call, text] of refusals) await expect(call()).rejects.toMatchObject({ number: 50400, message: expect.stringContaining(text) });
    // the same limits hold for a caller that bypasses the TypeScript schemas
    const raw = (sig: ProcedureSignature, input: Record<string, unknown>) =>
      db().call(sig, { tenantId: s.tenant, callerId: me.workerId, ...lease, ...input });
    await expect(raw(reportProgressSignature, { note: 'n'.repeat(1001) }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('note is longer than 1000 characters') });
    await expect(raw(failTaskSignature, { error: 'e'.repeat(4001) }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('error is longer than 4000 characters') });
    await expect(raw(releaseTaskSignature, { reason: 'r'.repeat(401) }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('reason is longer than 400 characters') });
    expect(await tableCounts(db(), s.tenant)).toEqual(before);
    expect(await taskRows(db(), s.tenant)).toEqual(rows);
  });
});

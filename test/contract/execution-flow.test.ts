import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { createProjectWithPlan, tableCounts, taskRows } from '../support/fixtures.js';
import { events, leaseExpired, notBeforePassed, projectStatus, scene, task, usageOf, workerState } from '../support/execution.js';
import type { Identity } from '../../db/call.js';
import {
  claimNextTask, completeTask, failTask, redriveTask, releaseTask, type ClaimNextTaskRow,
} from '../../generated/index.js';

const targets = await engineTargets();

/** What happens after a claim: complete (unblocking), fail (retry, dead letter), redrive, release. */
describeEachEngine('execution: complete, fail, redrive, release', targets, (db) => {
  /** Claims the next task for `who` and checks it is the one expected. */
  async function claim(who: Identity, key: string, leaseSeconds?: number): Promise<ClaimNextTaskRow> {
    const rows = await claimNextTask(db(), who, leaseSeconds === undefined ? {} : { leaseSeconds });
    expect(rows.map((r) => r.taskKey)).toEqual([key]);
    return rows[0]!;
  }
  const done = (who: Identity, c: ClaimNextTaskRow, result = `result of ${c.taskKey}`) =>
    completeTask(db(), who, { taskId: c.taskId!, leaseToken: c.leaseToken!, result });

  it('completing a task makes ready only the dependents whose dependencies are all done, and hands them the results', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { projectId, taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'a', title: 'A', priority: 2 },
      { key: 'b', title: 'B', priority: 1 },
      { key: 'c', title: 'C', dependsOn: ['a', 'b'] },
      { key: 'd', title: 'D', dependsOn: ['c'] },
    ]);
    const a = await claim(me.id, 'a');
    expect(await done(me.id, a)).toEqual([{ taskId: taskIds['a'], status: 'done', unblockedCount: 0 }]);
    expect(await task(db(), taskIds['c']!)).toMatchObject({ status: 'blocked', unmet: 1 });
    const b = await claim(me.id, 'b');
    expect(await claimNextTask(db(), me.id, {})).toEqual([]); // c still waits for b
    expect(await done(me.id, b)).toEqual([{ taskId: taskIds['b'], status: 'done', unblockedCount: 1 }]);
    expect(await task(db(), taskIds['c']!)).toMatchObject({ status: 'ready', unmet: 0 });
    expect(await events(db(), taskIds['c']!)).toEqual(['created', 'unblocked']);
    expect((await task(db(), taskIds['d']!)).status).toBe('blocked');

    const c = await claim(me.id, 'c');
    expect(c.dependencyResults).toEqual([
      { taskId: taskIds['a'], taskKey: 'a', title: 'A', result: 'result of a' },
      { taskId: taskIds['b'], taskKey: 'b', title: 'B', result: 'result of b' },
    ]);
    expect(await projectStatus(db(), projectId)).toBe('active');
    await done(me.id, c);
    const d = await claim(me.id, 'd');
    expect(d.dependencyResults).toEqual([{ taskId: taskIds['c'], taskKey: 'c', title: 'C', result: 'result of c' }]);
    await done(me.id, d);
    expect(await projectStatus(db(), projectId)).toBe('completed');
    expect(await task(db(), taskIds['d']!)).toMatchObject({ status: 'done', leaseToken: null, leaseExpiresAt: null, result: 'result of d' });
    expect(await events(db(), taskIds['d']!)).toEqual(['created', 'unblocked', 'claimed', 'completed']);
    expect((await workerState(db(), me.instanceId)).tasksCompleted).toBe(4);
  });

  it('a task that requires review goes to review and does not unblock its dependents', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { projectId, taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'a', title: 'A', requiresReview: true },
      { key: 'b', title: 'B', dependsOn: ['a'] },
    ]);
    const a = await claim(me.id, 'a');
    expect(await done(me.id, a)).toEqual([{ taskId: taskIds['a'], status: 'review', unblockedCount: 0 }]);
    expect(await task(db(), taskIds['b']!)).toMatchObject({ status: 'blocked', unmet: 1 });
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
    expect(await projectStatus(db(), projectId)).toBe('active');
  });

  it('records usage: reported cost, cost computed from the worker prices, or none', async () => {
    const s = scene(db());
    const me = await s.worker({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
    await createProjectWithPlan(db(), s.admin, [
      { key: 'a', title: 'A', priority: 3 }, { key: 'b', title: 'B', priority: 2 }, { key: 'c', title: 'C', priority: 1 },
      { key: 'd', title: 'D' },
    ]);
    const a = await claim(me.id, 'a');
    await completeTask(db(), me.id, { taskId: a.taskId!, leaseToken: a.leaseToken!, result: 'ok', tokensIn: 1000, tokensOut: 500, costUsd: 0.25 });
    const b = await claim(me.id, 'b');
    await completeTask(db(), me.id, { taskId: b.taskId!, leaseToken: b.leaseToken!, result: 'ok', tokensIn: 1000, tokensOut: 500 });
    const c = await claim(me.id, 'c');
    await completeTask(db(), me.id, { taskId: c.taskId!, leaseToken: c.leaseToken!, result: 'ok' });
    const d = await claim(me.id, 'd');
    await failTask(db(), me.id, { taskId: d.taskId!, leaseToken: d.leaseToken!, error: 'x', tokensIn: 2_000_000 });
    expect(await usageOf(db(), a.taskId!)).toEqual([{ tokensIn: 1000, tokensOut: 500, costUsd: 0.25, costSource: 'reported' }]);
    expect(await usageOf(db(), b.taskId!)).toEqual([{ tokensIn: 1000, tokensOut: 500, costUsd: 0.0105, costSource: 'computed' }]);
    expect(await usageOf(db(), c.taskId!)).toEqual([{ tokensIn: 0, tokensOut: 0, costUsd: 0, costSource: 'none' }]);
    expect(await usageOf(db(), d.taskId!)).toEqual([{ tokensIn: 2_000_000, tokensOut: 0, costUsd: 6, costSource: 'computed' }]);
  });

  it('a retryable failure waits out a doubling back-off, is promoted by the sweep and claimed again', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A', maxAttempts: 3 }]);
    const id = taskIds['a']!;
    const { sweepDelayedRetries } = await import('../../generated/index.js');

    const first = await claim(me.id, 'a');
    const t0 = Date.now();
    const [f1] = await failTask(db(), me.id, { taskId: id, leaseToken: first.leaseToken!, error: 'flaky network' });
    expect(f1).toMatchObject({ taskId: id, status: 'retry_wait', attempts: 1 });
    const wait1 = Date.parse(f1!.notBefore!) - t0;
    expect(wait1).toBeGreaterThan(3_000); // 5 s after attempt 1
    expect(wait1).toBeLessThan(7_000);
    expect(await task(db(), id)).toMatchObject({ lastError: 'flaky network', claimedBy: null, leaseToken: null });
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
    // not due yet: the sweep leaves it
    await sweepDelayedRetries(db(), s.admin, {});
    expect((await task(db(), id)).status).toBe('retry_wait');

    await notBeforePassed(db(), id);
    expect(await sweepDelayedRetries(db(), s.admin, {})).toEqual([{ promotedCount: 1 }]);
    expect((await task(db(), id)).status).toBe('ready');
    const second = await claim(me.id, 'a');
    expect(second.attempts).toBe(2);
    const t1 = Date.now();
    const [f2] = await failTask(db(), me.id, { taskId: id, leaseToken: second.leaseToken!, error: 'flaky again' });
    const wait2 = Date.parse(f2!.notBefore!) - t1;
    expect(wait2).toBeGreaterThan(8_000); // 10 s after attempt 2
    expect(wait2).toBeLessThan(12_000);
    expect(await events(db(), id)).toEqual(['created', 'claimed', 'retry_scheduled', 'retry_promoted', 'claimed', 'retry_scheduled']);
  });

  it('the last attempt, or a non-retryable failure, dead-letters the task and blocks every dependent with a reason', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'root', title: 'Root', maxAttempts: 1, priority: 5 },
      { key: 'mid', title: 'Mid', dependsOn: ['root'] },
      { key: 'leaf', title: 'Leaf', dependsOn: ['mid', 'root'] },
      { key: 'solo', title: 'Solo', maxAttempts: 3 },
      { key: 'after-solo', title: 'After solo', dependsOn: ['solo'] },
    ]);
    const root = await claim(me.id, 'root');
    const [f] = await failTask(db(), me.id, { taskId: root.taskId!, leaseToken: root.leaseToken!, error: 'compiler crashed' });
    expect(f).toMatchObject({ status: 'dead', attempts: 1 });
    expect(await task(db(), taskIds['root']!)).toMatchObject({ status: 'dead', lastError: 'compiler crashed', leaseToken: null });
    for (const k of ['mid', 'leaf'])
      expect(await task(db(), taskIds[k]!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency root failed' });
    expect(await events(db(), taskIds['root']!)).toEqual(['created', 'claimed', 'dead_lettered']);
    expect(await events(db(), taskIds['leaf']!)).toEqual(['created', 'blocked_by_failure']);

    const solo = await claim(me.id, 'solo');
    const [g] = await failTask(db(), me.id, { taskId: solo.taskId!, leaseToken: solo.leaseToken!, error: 'bad spec', retryable: false });
    expect(g).toMatchObject({ status: 'dead', attempts: 1 });
    expect(await task(db(), taskIds['after-solo']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency solo failed' });
    expect((await workerState(db(), me.instanceId)).tasksFailed).toBe(2);
    expect(await claimNextTask(db(), me.id, {})).toEqual([]);
  });

  it('redrive makes a dead task ready with fresh attempts and clears the reason it gave its dependents', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'b', title: 'B', maxAttempts: 1, priority: 2 },
      { key: 'c', title: 'C', maxAttempts: 1, priority: 1 },
      { key: 'only-b', title: 'Only B', dependsOn: ['b'] },
      { key: 'both', title: 'Both', dependsOn: ['b', 'c'] },
    ]);
    for (const k of ['b', 'c']) {
      const x = await claim(me.id, k);
      await failTask(db(), me.id, { taskId: x.taskId!, leaseToken: x.leaseToken!, error: `${k} broke` });
    }
    expect(await task(db(), taskIds['both']!)).toMatchObject({ blockedReason: 'dependency b failed' });

    // refusals first: not dead, unknown, bad limit; none changes anything
    const before = await tableCounts(db(), s.tenant);
    const rows = await taskRows(db(), s.tenant);
    await expect(redriveTask(db(), s.admin, { taskId: taskIds['only-b']! }))
      .rejects.toMatchObject({ number: 50409, message: expect.stringContaining(`task ${taskIds['only-b']} is blocked, not dead`) });
    await expect(redriveTask(db(), s.admin, { taskId: 987654321 })).rejects.toMatchObject({ number: 50404, message: expect.stringContaining('task 987654321 not found') });
    await expect(redriveTask(db(), s.admin, { taskId: taskIds['b']!, maxAttempts: 0 })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('max attempts') });
    await expect(redriveTask(db(), { tenantId: 'elsewhere', callerId: 'AdminClaude' }, { taskId: taskIds['b']! })).rejects.toMatchObject({ number: 50404 });
    expect(await tableCounts(db(), s.tenant)).toEqual(before);
    expect(await taskRows(db(), s.tenant)).toEqual(rows);

    expect(await redriveTask(db(), s.admin, { taskId: taskIds['b']!, maxAttempts: 5 })).toEqual([{ taskId: taskIds['b'], status: 'ready', clearedDependents: 1 }]);
    expect(await task(db(), taskIds['b']!)).toMatchObject({ status: 'ready', attempts: 0, maxAttempts: 5, lastError: null });
    expect(await task(db(), taskIds['only-b']!)).toMatchObject({ status: 'blocked', blockedReason: null, unmet: 1 });
    // still below dead c: it now carries c's reason
    expect(await task(db(), taskIds['both']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency c failed', unmet: 2 });
    expect(await events(db(), taskIds['b']!)).toEqual(['created', 'claimed', 'dead_lettered', 'redriven']);

    const b = await claim(me.id, 'b');
    expect(b.attempts).toBe(1);
    await done(me.id, b);
    expect((await task(db(), taskIds['only-b']!)).status).toBe('ready');
    expect(await task(db(), taskIds['both']!)).toMatchObject({ status: 'blocked', unmet: 1, blockedReason: 'dependency c failed' });
    expect(await redriveTask(db(), s.admin, { taskId: taskIds['c']! })).toEqual([{ taskId: taskIds['c'], status: 'ready', clearedDependents: 1 }]);
    expect(await task(db(), taskIds['both']!)).toMatchObject({ status: 'blocked', unmet: 1, blockedReason: null });
  });

  it('release gives the task back at once without counting the attempt, and the old lease stops working', async () => {
    const s = scene(db());
    const me = await s.worker();
    const other = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [{ key: 'a', title: 'A' }]);
    const a = await claim(me.id, 'a');
    expect(await releaseTask(db(), me.id, { taskId: a.taskId!, leaseToken: a.leaseToken!, reason: 'shutting down' }))
      .toEqual([{ taskId: taskIds['a'], status: 'ready', attempts: 0 }]);
    expect(await task(db(), taskIds['a']!)).toMatchObject({ status: 'ready', attempts: 0, claimedBy: null, leaseToken: null });
    await expect(done(me.id, a)).rejects.toMatchObject({ number: 50409 });
    const again = await claim(other.id, 'a');
    expect(again.attempts).toBe(1);
    expect(await events(db(), taskIds['a']!)).toEqual(['created', 'claimed', 'released', 'claimed']);
  });

  it('a stale lease expires: attempts left -> ready (attempt counted); last attempt -> dead with dependents blocked', async () => {
    const s = scene(db());
    const me = await s.worker();
    const { sweepExpiredLeases } = await import('../../generated/index.js');
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'again', title: 'Again', maxAttempts: 2, priority: 2 },
      { key: 'last', title: 'Last', maxAttempts: 1, priority: 1 },
      { key: 'after', title: 'After last', dependsOn: ['last'] },
      { key: 'fresh', title: 'Fresh lease' },
    ]);
    const again = await claim(me.id, 'again', 1);
    const last = await claim(me.id, 'last', 1);
    const fresh = await claim(me.id, 'fresh', 600);
    await leaseExpired(db(), again.taskId!);
    await leaseExpired(db(), last.taskId!);

    expect(await sweepExpiredLeases(db(), s.admin, {})).toEqual([{ expiredCount: 2, requeuedCount: 1, deadCount: 1 }]);
    expect(await task(db(), taskIds['again']!)).toMatchObject({ status: 'ready', attempts: 1, claimedBy: null, leaseToken: null });
    expect(await task(db(), taskIds['last']!)).toMatchObject({ status: 'dead', attempts: 1 });
    expect(await task(db(), taskIds['after']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency last failed' });
    expect((await task(db(), fresh.taskId!)).status).toBe('running');
    expect(await events(db(), taskIds['again']!)).toEqual(['created', 'claimed', 'lease_expired']);
    expect(await events(db(), taskIds['last']!)).toEqual(['created', 'claimed', 'lease_expired', 'dead_lettered']);
    // the expired lease holder is refused; the next claim counts attempt 2
    await expect(done(me.id, again)).rejects.toMatchObject({ number: 50409 });
    expect((await claim(me.id, 'again')).attempts).toBe(2);
    expect(await sweepExpiredLeases(db(), s.admin, {})).toEqual([{ expiredCount: 0, requeuedCount: 0, deadCount: 0 }]);
  });
});

import { afterEach, expect, it } from 'vitest';
import { describeEachEngine, serverTargets } from './support/engines.js';
import { createProjectWithPlan } from './support/fixtures.js';
import { events, leaseExpired, scene, task } from './support/execution.js';
import { holdLocks, waitersOn, type LockHolder } from './support/lock-holder.js';
import { ageHeartbeat } from './support/seed.js';
import { claimNextTask, failTask, redriveTask, sweepExpiredLeases, sweepOfflineWorkers } from '../generated/index.js';

/**
 * A transaction that blocks (or unblocks) the dependents of several dead tasks must take their
 * locks in TaskId order (mmos._LockDependents), the order a completion unblocking the same
 * dependents takes them in. Each plan makes the orders differ when each dead task's dependents are
 * locked in turn: `a` (handled first) has the higher-id dependent `e`, `a2` the lower-id `d`, and
 * `c` (running) has both. The test's own transaction stands in for c's completion stopped between
 * its two locks: it holds `d`, waits until the procedure is waiting, then takes `e`. Had the
 * procedure locked `e` before asking for `d`, the server would find a deadlock and abort one side
 * (PostgreSQL: 40P01). Server engines only: PGlite has one connection.
 */
const targets = await serverTargets();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PLAN = [
  { key: 'c', title: 'C, whose completion unblocks d and e', priority: 9 },
  { key: 'a', title: 'A, last attempt', priority: 5, maxAttempts: 1 },
  { key: 'a2', title: 'A2, last attempt', priority: 4, maxAttempts: 1 },
  { key: 'd', title: 'D', dependsOn: ['c', 'a2'] },
  { key: 'e', title: 'E', dependsOn: ['c', 'a'] },
];

describeEachEngine('dead-letter and redrive lock dependents in TaskId order', targets, (db, _label, url) => {
  let holder: LockHolder | undefined;
  afterEach(async () => { await holder?.close(); holder = undefined; });

  /** c running on one worker, a and a2 on another (`quiet`); returns the ids and identities. */
  async function setUp() {
    const s = scene(db());
    const quiet = await s.worker({ workerCapacity: 2 });
    const busy = await s.worker({ workerCapacity: 1 });
    const { taskIds: id } = await createProjectWithPlan(db(), s.admin, PLAN);
    expect(id['a']!).toBeLessThan(id['a2']!);
    expect(id['d']!).toBeLessThan(id['e']!);
    expect((await claimNextTask(db(), busy.id, {}))[0]?.taskKey).toBe('c');
    const a = (await claimNextTask(db(), quiet.id, {}))[0]!;
    const a2 = (await claimNextTask(db(), quiet.id, {}))[0]!;
    expect([a.taskKey, a2.taskKey]).toEqual(['a', 'a2']);
    return { s, quiet, id, leases: { a: a.leaseToken!, a2: a2.leaseToken! } };
  }

  /** Holds d, runs `procedure`, waits until it waits, takes e, commits; returns its rows. */
  async function raceStandInCompletion<T>(id: Record<string, number>, procedure: () => Promise<T[]>): Promise<T[]> {
    const h = (holder = await holdLocks(db().kind, url()));
    await h.lock(id['d']!);
    const running = procedure().then((rows) => ({ rows }), (err: unknown) => ({ err }));
    const deadline = Date.now() + 10_000;
    while ((await waitersOn(db(), h)) === 0 && Date.now() < deadline) await sleep(20);
    expect(await waitersOn(db(), h), 'the procedure should be waiting for the lock on d').toBe(1);
    await h.lock(id['e']!); // with the locks taken out of order, a deadlock aborts this or the procedure
    await h.commit();
    const outcome = await running;
    expect(outcome).not.toHaveProperty('err');
    return (outcome as { rows: T[] }).rows;
  }

  async function expectBothBlockedByTheirFailure(id: Record<string, number>): Promise<void> {
    for (const k of ['a', 'a2']) expect((await task(db(), id[k]!)).status, k).toBe('dead');
    expect(await task(db(), id['d']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency a2 failed' });
    expect(await task(db(), id['e']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency a failed' });
    expect(await events(db(), id['e']!)).toEqual(['created', 'blocked_by_failure']);
  }

  it('SweepExpiredLeases dead-letters two tasks in one run while a completion holds one of their dependents', async () => {
    const { s, id } = await setUp();
    for (const k of ['a', 'a2']) await leaseExpired(db(), id[k]!);
    const rows = await raceStandInCompletion(id, () => sweepExpiredLeases(db(), s.admin, {}));
    expect(rows).toEqual([{ expiredCount: 2, requeuedCount: 0, deadCount: 2 }]);
    await expectBothBlockedByTheirFailure(id);
  });

  it('SweepOfflineWorkers dead-letters two tasks in one run while a completion holds one of their dependents', async () => {
    const { s, quiet, id } = await setUp();
    await ageHeartbeat(db(), s.tenant, quiet.workerId, 120);
    const rows = await raceStandInCompletion(id, () => sweepOfflineWorkers(db(), s.admin, { heartbeatTimeoutSeconds: 90 }));
    expect(rows).toEqual([{ workersOfflined: 1, tasksReleased: 2, deadCount: 2 }]);
    await expectBothBlockedByTheirFailure(id);
  });

  it('RedriveTask clears one failure and re-blocks by another while a completion holds one of their dependents', async () => {
    const { s, quiet, id, leases } = await setUp();
    // a2 dies first so that, on redriving a, the re-block loop reaches d (a2's) after a's own e.
    for (const k of ['a2', 'a'] as const) await failTask(db(), quiet.id, { taskId: id[k]!, leaseToken: leases[k], error: `${k} broke`, retryable: false });
    await expectBothBlockedByTheirFailure(id);
    const rows = await raceStandInCompletion(id, () => redriveTask(db(), s.admin, { taskId: id['a']! }));
    expect(rows).toEqual([{ taskId: id['a']!, status: 'ready', clearedDependents: 1 }]);
    expect(await task(db(), id['e']!)).toMatchObject({ status: 'blocked', blockedReason: null });
    expect(await task(db(), id['d']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency a2 failed' });
  });
});

import { afterEach, expect, it } from 'vitest';
import { describeEachEngine, serverTargets } from './support/engines.js';
import { createProjectWithPlan } from './support/fixtures.js';
import { events, leaseExpired, scene, task } from './support/execution.js';
import { holdLocks, waitingLocks, type LockHolder } from './support/lock-holder.js';
import { ageHeartbeat } from './support/seed.js';
import { claimNextTask, sweepExpiredLeases, sweepOfflineWorkers } from '../generated/index.js';

/**
 * A sweep that dead-letters two tasks in one transaction must take their dependents' locks in
 * TaskId order (mmos._LockDependents), the order a completion unblocking the same dependents takes
 * them in. The plan makes the orders differ when each dead task locks its own dependents in turn:
 * `a` (dead first) has the higher-id dependent `e`, `a2` the lower-id `d`, and `c` (running) has
 * both. The test's own transaction stands in for c's completion stopped between its two locks:
 * it holds `d`, waits until the sweep is waiting, then takes `e`. Had the sweep locked `e` before
 * asking for `d`, the server would now find a deadlock and abort one side. Server engines only.
 */
const targets = await serverTargets();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachEngine('sweeps lock dependents in TaskId order', targets, (db, _label, url) => {
  let holder: LockHolder | undefined;
  afterEach(async () => { await holder?.close(); holder = undefined; });

  const cases = [
    {
      sweep: 'SweepExpiredLeases',
      expire: async (taskIds: number[]) => { for (const id of taskIds) await leaseExpired(db(), id); },
      run: (admin: Parameters<typeof sweepExpiredLeases>[1]) => sweepExpiredLeases(db(), admin, {}),
      expected: { expiredCount: 2, requeuedCount: 0, deadCount: 2 },
    },
    {
      sweep: 'SweepOfflineWorkers',
      expire: async () => undefined, // the quiet worker's heartbeat is aged below
      run: (admin: Parameters<typeof sweepOfflineWorkers>[1]) => sweepOfflineWorkers(db(), admin, { heartbeatTimeoutSeconds: 90 }),
      expected: { workersOfflined: 1, tasksReleased: 2, deadCount: 2 },
    },
  ] as const;

  for (const c of cases) {
    it(`${c.sweep}: two tasks dead-lettered in one run while a completion holds one of their dependents`, async () => {
      const s = scene(db());
      const quiet = await s.worker({ workerCapacity: 2 });
      const busy = await s.worker({ workerCapacity: 1 });
      const { taskIds: id } = await createProjectWithPlan(db(), s.admin, [
        { key: 'c', title: 'C, whose completion unblocks d and e', priority: 9 },
        { key: 'a', title: 'A, last attempt', priority: 5, maxAttempts: 1 },
        { key: 'a2', title: 'A2, last attempt', priority: 4, maxAttempts: 1 },
        { key: 'd', title: 'D', dependsOn: ['c', 'a2'] },
        { key: 'e', title: 'E', dependsOn: ['c', 'a'] },
      ]);
      expect(id['a']!).toBeLessThan(id['a2']!);
      expect(id['d']!).toBeLessThan(id['e']!);
      expect((await claimNextTask(db(), busy.id, {}))[0]?.taskKey).toBe('c');
      expect((await claimNextTask(db(), quiet.id, {}))[0]?.taskKey).toBe('a');
      expect((await claimNextTask(db(), quiet.id, {}))[0]?.taskKey).toBe('a2');
      await c.expire([id['a']!, id['a2']!]);
      await ageHeartbeat(db(), s.tenant, quiet.workerId, c.sweep === 'SweepOfflineWorkers' ? 120 : 0);

      holder = await holdLocks(db().kind, url());
      await holder.lock(id['d']!);
      const before = await waitingLocks(db());
      const sweep = c.run(s.admin).then((rows) => ({ rows }), (err: unknown) => ({ err }));
      // Wait until the sweep is blocked on d (it must ask for d before e).
      const deadline = Date.now() + 10_000;
      while ((await waitingLocks(db())) <= before && Date.now() < deadline) await sleep(20);
      expect(await waitingLocks(db()), 'the sweep should be waiting for the lock on d').toBeGreaterThan(before);
      await holder.lock(id['e']!); // a deadlock would abort this statement or the sweep here
      await holder.commit();

      const outcome = await sweep;
      expect(outcome).not.toHaveProperty('err');
      expect((outcome as { rows: unknown[] }).rows).toEqual([c.expected]);
      for (const k of ['a', 'a2']) expect((await task(db(), id[k]!)).status, k).toBe('dead');
      expect(await task(db(), id['d']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency a2 failed' });
      expect(await task(db(), id['e']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency a failed' });
      expect(await events(db(), id['e']!)).toEqual(['created', 'blocked_by_failure']);
    });
  }
});

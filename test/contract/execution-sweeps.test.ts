import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { createProjectWithPlan } from '../support/fixtures.js';
import { ageHeartbeat, sql } from '../support/seed.js';
import { events, leaseExpired, notBeforePassed, scene, task, workerState } from '../support/execution.js';
import {
  claimNextTask, completeTask, failTask, heartbeat, sweepDelayedRetries, sweepExpiredLeases, sweepOfflineWorkers,
} from '../../generated/index.js';

const targets = await engineTargets();

/** The three sweeps: offline workers, and each sweep run twice at once doing the work once. */
describeEachEngine('execution: sweeps', targets, (db) => {
  it('a worker whose heartbeat stopped goes offline and its running tasks go back to the queue', async () => {
    const s = scene(db());
    const quiet = await s.worker({ workerCapacity: 3 });
    const alive = await s.worker();
    const { taskIds } = await createProjectWithPlan(db(), s.admin, [
      { key: 'a', title: 'A', priority: 3, maxAttempts: 3 },
      { key: 'b', title: 'B', priority: 2, maxAttempts: 1 },
      { key: 'after-b', title: 'After B', dependsOn: ['b'] },
      { key: 'c', title: 'C', priority: 1 },
    ]);
    const a = (await claimNextTask(db(), quiet.id, {}))[0]!;
    const b = (await claimNextTask(db(), quiet.id, {}))[0]!;
    const c = (await claimNextTask(db(), alive.id, {}))[0]!;
    expect([a.taskKey, b.taskKey, c.taskKey]).toEqual(['a', 'b', 'c']);
    await ageHeartbeat(db(), s.tenant, quiet.workerId, 120);

    expect(await sweepOfflineWorkers(db(), s.admin, { heartbeatTimeoutSeconds: 90 })).toEqual([{ workersOfflined: 1, tasksReleased: 2, deadCount: 1 }]);
    expect((await workerState(db(), quiet.instanceId)).status).toBe('offline');
    expect((await workerState(db(), alive.instanceId)).status).toBe('online');
    expect(await task(db(), taskIds['a']!)).toMatchObject({ status: 'ready', attempts: 1, claimedBy: null, leaseToken: null });
    expect(await task(db(), taskIds['b']!)).toMatchObject({ status: 'dead' });
    expect(await task(db(), taskIds['after-b']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency b failed' });
    expect((await task(db(), taskIds['c']!)).status).toBe('running');
    expect(await events(db(), taskIds['a']!)).toEqual(['created', 'claimed', 'worker_offline']);
    expect(await events(db(), taskIds['b']!)).toEqual(['created', 'claimed', 'worker_offline', 'dead_lettered']);

    // the silent worker's old lease is refused, and it claims nothing until it shows signs of life
    await expect(completeTask(db(), quiet.id, { taskId: a.taskId!, leaseToken: a.leaseToken!, result: 'late' })).rejects.toMatchObject({ number: 50409 });
    expect(await claimNextTask(db(), quiet.id, {})).toEqual([]);
    await heartbeat(db(), quiet.id, {});
    expect((await claimNextTask(db(), quiet.id, {})).map((r) => r.taskKey)).toEqual(['a']);
    expect(await sweepOfflineWorkers(db(), s.admin, {})).toEqual([{ workersOfflined: 0, tasksReleased: 0, deadCount: 0 }]);
  });

  it('refuses out-of-range sweep arguments with 50400', async () => {
    const s = scene(db());
    await expect(sweepExpiredLeases(db(), s.admin, { batchSize: 0 })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('batch size') });
    await expect(sweepDelayedRetries(db(), s.admin, { batchSize: 10_001 })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('batch size') });
    await expect(sweepOfflineWorkers(db(), s.admin, { heartbeatTimeoutSeconds: 0 }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('heartbeat timeout seconds') });
  });

  it('running each sweep twice at the same time does the work exactly once', async () => {
    const s = scene(db());
    const workers = await Promise.all(Array.from({ length: 4 }, () => s.worker({ workerCapacity: 10 })));
    const { taskIds } = await createProjectWithPlan(db(), s.admin,
      Array.from({ length: 40 }, (_, i) => ({ key: `t${i}`, title: `T${i}`, maxAttempts: 2 })));
    const ids = Object.values(taskIds);
    // 40 running tasks, 10 per worker
    for (const w of workers) for (let i = 0; i < 10; i++) expect(await claimNextTask(db(), w.id, {})).toHaveLength(1);
    const running = await sql(db(),
      "SELECT task_id, lease_token::text AS lease_token, claimed_by_instance_id AS who FROM mmos.task_queue WHERE tenant_id = $1 AND status = 'running' ORDER BY task_id",
      "SELECT TaskId AS task_id, LOWER(CAST(LeaseToken AS NVARCHAR(36))) AS lease_token, ClaimedByInstanceId AS who FROM mmos.TaskQueue WHERE TenantId = @p1 AND Status = N'running' ORDER BY TaskId",
      [s.tenant]);
    expect(running).toHaveLength(40);
    const byInstance = new Map(workers.map((w) => [w.instanceId, w]));
    // tasks 0-9: lease expired; 10-19: retry due; tasks of worker 3 (its heartbeat stops) stay as they are
    const expired = running.slice(0, 10).filter((r) => Number(r['who']) !== workers[3]!.instanceId);
    for (const r of expired) await leaseExpired(db(), Number(r['task_id']));
    const retrying = running.slice(10, 20).filter((r) => Number(r['who']) !== workers[3]!.instanceId);
    for (const r of retrying) {
      const w = byInstance.get(Number(r['who']))!;
      await failTask(db(), w.id, { taskId: Number(r['task_id']), leaseToken: String(r['lease_token']), error: 'retry me' });
      await notBeforePassed(db(), Number(r['task_id']));
    }
    const quietRunning = running.filter((r) => Number(r['who']) === workers[3]!.instanceId).length;
    await ageHeartbeat(db(), s.tenant, workers[3]!.workerId, 600);

    const twice = async <T>(f: () => Promise<T[]>) => (await Promise.all([f(), f()])).flat();
    const [leases, retries, offline] = await Promise.all([
      twice(() => sweepExpiredLeases(db(), s.admin, { batchSize: 3 })),
      twice(() => sweepDelayedRetries(db(), s.admin, { batchSize: 3 })),
      twice(() => sweepOfflineWorkers(db(), s.admin, {})),
    ]);
    // small batches: sweep until nothing is left, then count what all the runs did together
    const more = { leases: [...leases], retries: [...retries] };
    for (let i = 0; i < 20; i++) {
      more.leases.push(...await twice(() => sweepExpiredLeases(db(), s.admin, { batchSize: 3 })));
      more.retries.push(...await twice(() => sweepDelayedRetries(db(), s.admin, { batchSize: 3 })));
    }
    const sum = <T>(rows: T[], k: keyof T) => rows.reduce((n, r) => n + Number(r[k]), 0);
    expect(sum(more.leases, 'expiredCount')).toBe(expired.length);
    expect(sum(more.retries, 'promotedCount')).toBe(retrying.length);
    expect(sum(offline, 'workersOfflined')).toBe(1);
    expect(sum(offline, 'tasksReleased')).toBe(quietRunning);

    // every task has at most one event of each sweep kind, and the states add up
    const perTask = await sql(db(),
      `SELECT task_id, sum(CASE WHEN event_type IN ('lease_expired', 'retry_promoted', 'worker_offline') THEN 1 ELSE 0 END) AS swept
         FROM mmos.task_events WHERE tenant_id = $1 GROUP BY task_id`,
      `SELECT TaskId AS task_id, SUM(CASE WHEN EventType IN (N'lease_expired', N'retry_promoted', N'worker_offline') THEN 1 ELSE 0 END) AS swept
         FROM mmos.TaskEvents WHERE TenantId = @p1 GROUP BY TaskId`,
      [s.tenant]);
    expect(perTask.every((r) => Number(r['swept']) <= 1)).toBe(true);
    expect(perTask.reduce((n, r) => n + Number(r['swept']), 0)).toBe(expired.length + retrying.length + quietRunning);
    const states = await Promise.all(ids.map((id) => task(db(), id)));
    expect(states.filter((t) => t.status === 'ready')).toHaveLength(expired.length + retrying.length + quietRunning);
    expect(states.filter((t) => t.status === 'running')).toHaveLength(40 - expired.length - retrying.length - quietRunning);
  });
});

import { expect, it } from 'vitest';
import { describeEachEngine, serverTargets } from './support/engines.js';
import { as, unique } from './support/identity.js';
import { newProject, addPlan, type PlanTask } from './support/fixtures.js';
import { scalar } from './support/seed.js';
import type { Identity } from '../db/call.js';
import { claimNextTask, completeTask, registerWorker } from '../generated/index.js';

/**
 * 32 workers (capacity 1) drain 10,000 tasks with dependencies through ClaimNextTask and
 * CompleteTask at the same time, on a real server engine. Every task must be claimed once,
 * completed once, and only after all its dependencies were completed. The engine's pool (40 on
 * PostgreSQL) gives each claimer its own connection. Figures are printed, never asserted on time.
 */
const targets = await serverTargets();

const PROJECTS = 100;
const GROUPS = 10; // per project: 10 diamonds in a chain, 10 tasks each
const CLAIMERS = 32;
const TOTAL = PROJECTS * GROUPS * 10;

/** One project: diamonds (root -> 8 middles -> sink) chained root-to-previous-sink, 100 tasks. */
function projectPlan(): PlanTask[] {
  const tasks: PlanTask[] = [];
  for (let g = 0; g < GROUPS; g++) {
    tasks.push({ key: `g${g}-root`, title: `group ${g} root`, dependsOn: g > 0 ? [`g${g - 1}-sink`] : [] });
    for (let m = 1; m <= 8; m++) tasks.push({ key: `g${g}-m${m}`, title: `group ${g} middle ${m}`, dependsOn: [`g${g}-root`] });
    tasks.push({ key: `g${g}-sink`, title: `group ${g} sink`, dependsOn: Array.from({ length: 8 }, (_, m) => `g${g}-m${m + 1}`) });
  }
  return tasks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachEngine('concurrency: 32 claimers drain 10,000 tasks with dependencies', targets, (db, label) => {
  it('completes every task exactly once, never before its dependencies, with no double claim', async () => {
    const tenant = unique('load');
    const admin = as('AdminClaude', tenant);

    // 100 projects, one AddTasks call of 100 tasks each, a few at a time
    for (let p = 0; p < PROJECTS; p += 10) {
      await Promise.all(Array.from({ length: 10 }, async () => addPlan(db(), admin, await newProject(db(), admin), projectPlan())));
    }
    const workers: Identity[] = [];
    for (let i = 0; i < CLAIMERS; i++) {
      const id = as(`claimer-${i}`, tenant);
      await registerWorker(db(), id, { instanceName: `Claimer ${i}`, modelType: 'Load', workerCapacity: 1 });
      workers.push(id);
    }

    let completed = 0;
    const claimedInProcess = new Map<number, number>();
    const deadline = Date.now() + 540_000;
    const started = process.hrtime.bigint();
    await Promise.all(workers.map(async (w) => {
      while (completed < TOTAL && Date.now() < deadline) {
        const rows = await claimNextTask(db(), w, {});
        const c = rows[0];
        if (!c) { await sleep(2); continue; }
        claimedInProcess.set(c.taskId!, (claimedInProcess.get(c.taskId!) ?? 0) + 1);
        await completeTask(db(), w, { taskId: c.taskId!, leaseToken: c.leaseToken!, result: `${c.taskKey} by ${w.callerId}` });
        completed += 1;
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const q = (pg: string, tsql: string) => scalar(db(), pg, tsql, [tenant]);
    const tasks = await q('SELECT count(*) FROM mmos.task_queue WHERE tenant_id = $1', 'SELECT COUNT(*) FROM mmos.TaskQueue WHERE TenantId = @p1');
    const notDone = await q("SELECT count(*) FROM mmos.task_queue WHERE tenant_id = $1 AND status <> 'done'",
      "SELECT COUNT(*) FROM mmos.TaskQueue WHERE TenantId = @p1 AND Status <> N'done'");
    const completedOnce = await q(
      "SELECT count(*) FROM (SELECT task_id FROM mmos.task_events WHERE tenant_id = $1 AND event_type = 'completed' GROUP BY task_id HAVING count(*) = 1) AS x",
      "SELECT COUNT(*) FROM (SELECT TaskId FROM mmos.TaskEvents WHERE TenantId = @p1 AND EventType = N'completed' GROUP BY TaskId HAVING COUNT(*) = 1) AS x");
    const doubleClaims = await q(
      "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM mmos.task_events WHERE tenant_id = $1 AND event_type = 'claimed' GROUP BY task_id) AS x",
      "SELECT ISNULL(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM mmos.TaskEvents WHERE TenantId = @p1 AND EventType = N'claimed' GROUP BY TaskId) AS x");
    // a claim event must come after the completion event of every dependency (event ids are issued in commit-visible order)
    const dependencyViolations = await q(
      `SELECT count(*) FROM mmos.task_dependencies AS td
         JOIN mmos.task_events AS c ON c.task_id = td.task_id AND c.event_type = 'claimed'
         LEFT JOIN mmos.task_events AS d ON d.task_id = td.depends_on_task_id AND d.event_type = 'completed'
        WHERE td.tenant_id = $1 AND (d.event_id IS NULL OR c.event_id < d.event_id)`,
      `SELECT COUNT(*) FROM mmos.TaskDependencies AS td
         JOIN mmos.TaskEvents AS c ON c.TaskId = td.TaskId AND c.EventType = N'claimed'
         LEFT JOIN mmos.TaskEvents AS d ON d.TaskId = td.DependsOnTaskId AND d.EventType = N'completed'
        WHERE td.TenantId = @p1 AND (d.EventId IS NULL OR c.EventId < d.EventId)`);
    const projectsCompleted = await q("SELECT count(*) FROM mmos.work_sessions WHERE tenant_id = $1 AND status = 'completed'",
      "SELECT COUNT(*) FROM mmos.WorkSessions WHERE TenantId = @p1 AND Status = N'completed'");
    const inProcessDoubles = [...claimedInProcess.values()].filter((n) => n > 1).length;

    process.stdout.write(`concurrency: tasks=${tasks} claimers=${CLAIMERS} seconds=${seconds.toFixed(1)} ` +
      `double_claims=${doubleClaims} dependency_violations=${dependencyViolations} engine=${label}\n`);

    expect(tasks).toBe(TOTAL);
    expect(completed).toBe(TOTAL);
    expect(notDone).toBe(0);
    expect(completedOnce).toBe(TOTAL);
    expect(claimedInProcess.size).toBe(TOTAL);
    expect(inProcessDoubles).toBe(0);
    expect(doubleClaims).toBe(0);
    expect(dependencyViolations).toBe(0);
    expect(projectsCompleted).toBe(PROJECTS);
  }, 600_000);
});

import { expect, it } from 'vitest';
import { describeEachEngine, serverTargets } from './support/engines.js';
import { unique } from './support/identity.js';
import { addPlan, newProject, type PlanTask } from './support/fixtures.js';
import { scalar } from './support/seed.js';
import type { Identity } from '../db/call.js';
import { assignReadyTasks, claimNextTask, completeTask, registerWorker } from '../generated/index.js';

/**
 * Routing under load, on a real server engine: routing passes run back to back (two at a time)
 * while 12 workers of different prices claim and complete 600 tasks with dependencies. Nothing may
 * deadlock or fail, and every task is completed exactly once. Figures are printed, never asserted
 * on time.
 */
const targets = await serverTargets();
const WORKERS = 12;
const CHAINS = 60;
const CHAIN = 10;
const TOTAL = CHAINS * CHAIN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachEngine('routing concurrency: passes race claims and completions', targets, (db, label) => {
  it('completes every task once with routing passes running all along, without deadlock', async () => {
    const tenant = unique('route-load');
    const admin: Identity = { tenantId: tenant, callerId: 'AdminClaude', role: 'admin' };
    const projectId = await newProject(db(), admin);
    for (let c = 0; c < CHAINS; c += 10) {
      const tasks: PlanTask[] = [];
      for (let k = c; k < c + 10; k++)
        for (let i = 0; i < CHAIN; i++) tasks.push({ key: `c${k}-${i}`, title: `chain ${k} step ${i}`, ...(i ? { dependsOn: [`c${k}-${i - 1}`] } : {}) });
      await addPlan(db(), admin, projectId, tasks);
    }
    const workers: Identity[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const id: Identity = { tenantId: tenant, callerId: `router-w${i}`, role: 'worker' };
      await registerWorker(db(), id, { instanceName: id.callerId, modelType: 'Load', workerCapacity: 1 + (i % 3), inputUsdPerMillionTokens: i % 4 });
      workers.push(id);
    }

    let completed = 0;
    let passes = 0;
    let assignedTotal = 0;
    const errors: unknown[] = [];
    const deadline = Date.now() + 240_000;
    const started = Date.now();
    const router = async () => {
      while (completed < TOTAL && Date.now() < deadline) {
        try {
          assignedTotal += (await assignReadyTasks(db(), admin, { projectId })).length;
          passes++;
        } catch (err) { errors.push(err); return; }
        await sleep(5);
      }
    };
    const worker = async (w: Identity) => {
      while (completed < TOTAL && Date.now() < deadline) {
        try {
          const c = (await claimNextTask(db(), w, {}))[0];
          if (!c) { await sleep(3); continue; }
          await completeTask(db(), w, { taskId: c.taskId!, leaseToken: c.leaseToken!, result: 'ok', tokensIn: 10, tokensOut: 10 });
          completed++;
        } catch (err) { errors.push(err); return; }
      }
    };
    await Promise.all([router(), router(), ...workers.map(worker)]);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`[${label}] ${TOTAL} tasks, ${WORKERS} workers, ${passes} routing passes assigning ${assignedTotal}: ${seconds.toFixed(1)} s\n`);

    expect(errors).toEqual([]);
    expect(completed).toBe(TOTAL);
    expect(await scalar(db(),
      "SELECT count(*) FROM mmos.task_queue WHERE tenant_id = $1 AND status <> 'done'",
      "SELECT COUNT(*) FROM mmos.TaskQueue WHERE TenantId = @p1 AND Status <> N'done'", [tenant])).toBe(0);
    // each task completed exactly once
    expect(await scalar(db(),
      "SELECT count(*) FROM (SELECT task_id FROM mmos.task_events WHERE tenant_id = $1 AND event_type = 'completed' GROUP BY task_id HAVING count(*) <> 1) AS x",
      "SELECT COUNT(*) FROM (SELECT TaskId FROM mmos.TaskEvents WHERE TenantId = @p1 AND EventType = N'completed' GROUP BY TaskId HAVING COUNT(*) <> 1) AS x",
      [tenant])).toBe(0);
    expect(assignedTotal).toBeGreaterThan(0);
  }, 300_000);
});

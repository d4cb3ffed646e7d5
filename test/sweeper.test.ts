import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../db/types.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import { Sweeper } from '../db/sweeper.js';
import { registerWorker } from '../generated/index.js';
import { as, unique } from './support/identity.js';
import { instanceIdOf, seedProject, seedTask, taskState } from './support/seed.js';

/** The in-process sweeper on a real embedded engine: it runs the sweep procedures, nothing more. */
describe('sweeper (node-cron, PGlite)', () => {
  let db: Engine;
  beforeAll(async () => { db = await openEngine({ dataDir: 'memory' }); await deploy(db); }, 60_000);
  afterAll(async () => db?.close());

  it('runOnce requeues a task whose lease expired, for every tenant when none is given', async () => {
    const tenant = unique('t');
    const worker = unique('w');
    await registerWorker(db, as(worker, tenant), { instanceName: 'W', modelType: 'Claude' });
    const instance = await instanceIdOf(db, tenant, worker);
    const project = await seedProject(db, tenant, 'sweeper');
    const expired = await seedTask(db, tenant, project, { key: 'a', status: 'running', claimedBy: instance, leaseSeconds: -30, attempts: 1 });
    const live = await seedTask(db, tenant, project, { key: 'b', status: 'running', claimedBy: instance, leaseSeconds: 300, attempts: 1 });
    const lines: string[] = [];
    const sweeper = new Sweeper(db, { log: (l) => lines.push(l) });

    const summary = await sweeper.runOnce();
    expect(summary.expiredLeases).toBeGreaterThanOrEqual(1);
    expect(await taskState(db, expired)).toMatchObject({ status: 'ready', claimedBy: null, leaseToken: null, attempts: 1 });
    expect((await taskState(db, live)).status).toBe('running');
    // a second run finds nothing more of this tenant's to do
    await sweeper.runOnce();
    expect((await taskState(db, live)).status).toBe('running');
  });

  it('start() runs on its schedule, does not overlap itself, and stop() waits for the run in progress', async () => {
    const tenant = unique('t');
    const worker = unique('w');
    await registerWorker(db, as(worker, tenant), { instanceName: 'W', modelType: 'Claude' });
    const instance = await instanceIdOf(db, tenant, worker);
    const project = await seedProject(db, tenant, 'sweeper');
    const expired = await seedTask(db, tenant, project, { key: 'a', status: 'running', claimedBy: instance, leaseSeconds: -30, attempts: 1 });
    const lines: string[] = [];
    const sweeper = new Sweeper(db, { everySeconds: 1, tenantId: tenant, log: (l) => lines.push(l) });
    const [a, b] = [sweeper.runOnce(), sweeper.runOnce()];
    expect(a).toBe(b); // a run in progress is shared, never doubled
    await a;
    await seedTask(db, tenant, project, { key: 'b', status: 'running', claimedBy: instance, leaseSeconds: -30, attempts: 1 });
    sweeper.start();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !lines.some((l) => l.includes('1 expired lease'))) await new Promise((r) => setTimeout(r, 100));
    await sweeper.stop();
    expect(lines.some((l) => l.includes(`for tenant ${tenant}`))).toBe(true);
    expect(lines.some((l) => l.includes('1 expired lease(s) (1 requeued, 0 dead)'))).toBe(true);
    expect((await taskState(db, expired)).status).toBe('ready');
  });

  it('runOnce also routes ready tasks (AssignReadyTasks) after the sweeps', async () => {
    const tenant = unique('t');
    const worker = unique('w');
    await registerWorker(db, as(worker, tenant), { instanceName: 'W', modelType: 'Claude', workerCapacity: 2 });
    const instance = await instanceIdOf(db, tenant, worker);
    const project = await seedProject(db, tenant, 'sweeper routing');
    const ready = await seedTask(db, tenant, project, { key: 'r', status: 'ready' });
    const summary = await new Sweeper(db, { tenantId: tenant, log: () => undefined }).runOnce();
    expect(summary.tasksAssigned).toBe(1);
    const rows = await db.query('SELECT assigned_instance_id, assignment_source FROM mmos.task_queue WHERE task_id = $1', [ready]);
    expect(rows[0]).toMatchObject({ assignment_source: 'auto' });
    expect(Number(rows[0]!['assigned_instance_id'])).toBe(instance);
  });

  it('refuses a period node-cron cannot express', () => {
    expect(() => new Sweeper(db, { everySeconds: 0 })).toThrow(/everySeconds/);
    expect(() => new Sweeper(db, { everySeconds: 60 })).toThrow(/everySeconds/);
  });
});

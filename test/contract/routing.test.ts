import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { addPlan, createProjectWithPlan, newProject, tableCounts, taskRows } from '../support/fixtures.js';
import { ageHeartbeat, sql } from '../support/seed.js';
import { claimAndComplete, historyOf, performanceOf, taskOf, team } from '../support/team.js';
import {
  addTasks, assignReadyTasks, assignTask, claimNextTask, completeTask, createProject, drainWorker, failTask, getProjectStatus,
  sweepExpiredLeases, sweepOfflineWorkers,
} from '../../generated/index.js';

const targets = await engineTargets();
const CHEAP = { inputUsdPerMillionTokens: 0.3, outputUsdPerMillionTokens: 2.5 };
const SONNET = { inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 };

/** AssignReadyTasks (and the rules ClaimNextTask shares with it): who gets which task, and why. */
describeEachEngine('routing', targets, (db) => {
  it('estimates a missing complexity from type and description, and keeps a given one', async () => {
    const t = team(db());
    const long = (n: number) => 'x'.repeat(n);
    const { projectId } = await createProjectWithPlan(db(), t.admin, [
      { key: 'research', title: 'Survey the market', type: 'research', description: long(3000) },
      { key: 'docs', title: 'Write the README', type: 'docs' },
      { key: 'planning', title: 'Plan it', type: 'planning' },
      { key: 'review', title: 'Review it', type: 'review' },
      { key: 'testing', title: 'Test it', type: 'testing' },
      { key: 'admin', title: 'Admin chores', type: 'admin' },
      { key: 'coding-short', title: 'Add a button', type: 'coding', description: long(1500) },
      { key: 'coding-long', title: 'Add a button', type: 'coding', description: long(1501) },
      { key: 'coding-hard-title', title: 'Add OAuth AUTHENTICATION', type: 'coding' },
      { key: 'coding-hard-text', title: 'Speed up', type: 'coding', description: 'mind the Concurrency of writers' },
      { key: 'coding-payment', title: 'Checkout', type: 'coding', description: 'payment provider callbacks' },
      { key: 'general-short', title: 'Tidy up', description: long(500) },
      { key: 'general-long', title: 'Tidy up', description: long(501) },
      { key: 'given', title: 'Security review of the migration', type: 'coding', complexity: 'low' },
    ]);
    const rows = await sql(db(),
      'SELECT task_key, complexity FROM mmos.task_queue WHERE project_id = $1 ORDER BY task_id',
      'SELECT TaskKey AS task_key, Complexity AS complexity FROM mmos.TaskQueue WHERE ProjectId = @p1 ORDER BY TaskId',
      [projectId]);
    expect(Object.fromEntries(rows.map((r) => [r['task_key'], r['complexity']]))).toEqual({
      research: 'low', docs: 'low', planning: 'medium', review: 'medium', testing: 'medium', admin: 'medium',
      'coding-short': 'medium', 'coding-long': 'high', 'coding-hard-title': 'high', 'coding-hard-text': 'high', 'coding-payment': 'high',
      'general-short': 'low', 'general-long': 'medium', given: 'low',
    });
  });

  it('gives a task to the cheapest eligible worker, marked auto with the reason; only that worker claims it', async () => {
    const t = team(db());
    const pricey = await t.worker(SONNET);
    const cheap = await t.worker(CHEAP);
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [{ key: 'a', title: 'Summarise the notes' }]);

    expect(await assignReadyTasks(db(), t.admin, { projectId })).toEqual([
      { taskId: taskIds['a'], taskKey: 'a', workerId: cheap.workerId, modelName: null, reason: 'cheapest eligible' },
    ]);
    expect(await taskOf(db(), t.admin, taskIds['a']!)).toMatchObject({
      status: 'ready', assignedWorkerId: cheap.workerId, assignmentSource: 'auto', routingNote: null,
    });
    expect((await historyOf(db(), t.admin, taskIds['a']!)).at(-1)).toBe(`assigned ready->ready router: assigned to ${cheap.workerId}: cheapest eligible`);
    // A second pass leaves an assignment that still holds alone.
    expect(await assignReadyTasks(db(), t.admin, { projectId })).toEqual([]);

    expect(await claimNextTask(db(), pricey.id, {})).toEqual([]);
    expect((await claimNextTask(db(), cheap.id, {})).map((r) => r.taskKey)).toEqual(['a']);
  });

  it('spreads equal choices: least loaded first, then the worker assigned least recently, within a pass and across passes', async () => {
    const t = team(db());
    const a = await t.worker({ workerCapacity: 2 });
    const b = await t.worker({ workerCapacity: 2 });
    const projectId = await newProject(db(), t.admin);
    await addPlan(db(), t.admin, projectId, [
      ...[1, 2, 3, 4].map((i) => ({ key: `t${i}`, title: `task ${i}` })),
      // not before 2099: never routed here, and it keeps the project from completing
      { key: 'open', title: 'keeps the project open', notBefore: '2099-01-01T00:00:00Z' },
    ]);
    const rows = await assignReadyTasks(db(), t.admin, { projectId });
    expect(rows.map((r) => [r.taskKey, r.workerId, r.reason])).toEqual([
      ['t1', a.workerId, 'equal choice: assigned least recently'],
      ['t2', b.workerId, 'least loaded of the cheapest'],
      ['t3', a.workerId, 'equal choice: assigned least recently'],
      ['t4', b.workerId, 'only eligible worker'], // a is full (2 of 2)
    ]);

    // Both now finish their work: equal load again, and each pass goes to the one assigned longer ago.
    for (const m of [a, b, a, b]) await claimAndComplete(db(), m);
    await addPlan(db(), t.admin, projectId, [{ key: 'next1', title: 'next 1' }]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => r.workerId)).toEqual([a.workerId]);
    await claimAndComplete(db(), a);
    await addPlan(db(), t.admin, projectId, [{ key: 'next2', title: 'next 2' }]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.workerId, r.reason]))
      .toEqual([[b.workerId, 'equal choice: assigned least recently']]);
  });

  it('respects capacity: running and already assigned tasks count, the rest wait with a note', async () => {
    const t = team(db());
    const busy = await t.worker({ workerCapacity: 1 });
    const free = await t.worker({ workerCapacity: 1 });
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin,
      [1, 2, 3, 4].map((i) => ({ key: `p${i}`, title: `task ${i}` })));
    // pull mode: a worker with nothing assigned takes an unassigned task before any routing ran
    expect((await claimNextTask(db(), busy.id, {})).map((r) => r.taskKey)).toEqual(['p1']);

    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId]))
      .toEqual([['p2', free.workerId]]);
    for (const key of ['p3', 'p4'])
      expect(await taskOf(db(), t.admin, taskIds[key]!)).toMatchObject({ assignedWorkerId: null, routingNote: 'every eligible worker is at capacity' });
    // the assignment waiting for free's claim fills it too
    expect(await assignReadyTasks(db(), t.admin, { projectId })).toEqual([]);
  });

  it('respects the tier a complexity needs, says which tier and capabilities are missing, and the claim follows the same rule', async () => {
    const t = team(db());
    const basic = await t.worker({ qualityTier: 1, ...CHEAP, capabilities: ['coding'] });
    const standard = await t.worker({ qualityTier: 2, ...SONNET, capabilities: ['coding'] });
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [
      { key: 'low', title: 'low', complexity: 'low' },
      { key: 'medium', title: 'medium', complexity: 'medium' },
      { key: 'high', title: 'high', complexity: 'high' },
      { key: 'high-coding', title: 'high coding', complexity: 'high', capabilities: ['coding', 'rust'] },
    ]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId, r.reason])).toEqual([
      ['low', basic.workerId, 'cheapest eligible'],
      ['medium', standard.workerId, 'only eligible worker'],
    ]);
    expect((await taskOf(db(), t.admin, taskIds['high']!)).routingNote).toBe('no online worker has tier >= 3');
    expect((await taskOf(db(), t.admin, taskIds['high-coding']!)).routingNote).toBe('no online worker has capabilities coding,rust and tier >= 3');
    const listed = await getProjectStatus(db(), t.admin, { projectId });
    expect(listed.find((r) => r.taskKey === 'high')!.routingNote).toBe('no online worker has tier >= 3');

    // pull mode keeps to the tier rule too
    expect((await claimNextTask(db(), basic.id, {})).map((r) => r.taskKey)).toEqual(['low']);
    expect(await claimNextTask(db(), basic.id, {})).toEqual([]);
    expect((await claimNextTask(db(), standard.id, {})).map((r) => r.taskKey)).toEqual(['medium']);
    expect(await claimNextTask(db(), standard.id, {})).toEqual([]);
    // ... and so does the admin's manual assignment
    await expect(assignTask(db(), t.admin, { taskId: taskIds['high']!, workerId: standard.workerId }))
      .rejects.toMatchObject({ number: 50409, message: expect.stringContaining(`has quality tier 2; task ${taskIds['high']} needs tier 3 or more`) });

    const premium = await t.worker({ qualityTier: 3, inputUsdPerMillionTokens: 15, outputUsdPerMillionTokens: 75, capabilities: ['coding', 'rust'] });
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId])).toEqual([
      ['high', premium.workerId], ['high-coding', premium.workerId],
    ]);
    expect((await taskOf(db(), t.admin, taskIds['high']!)).routingNote).toBeNull();
  });

  it('gives the preferred worker its task when it is eligible, and ignores the preference when it is not', async () => {
    const t = team(db());
    const cheap = await t.worker({ ...CHEAP, capabilities: ['coding', 'gpu'] });
    const pricey = await t.worker({ ...SONNET, capabilities: ['coding'] });
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [
      { key: 'wanted', title: 'prefers the pricey worker', preferredWorker: pricey.workerId },
      { key: 'gpu', title: 'prefers a worker without the gpu', capabilities: ['gpu'], preferredWorker: pricey.workerId },
    ]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId, r.reason])).toEqual([
      ['wanted', pricey.workerId, 'preferred worker'],
      ['gpu', cheap.workerId, `only eligible worker (preferred worker ${pricey.workerId} is not eligible)`],
    ]);
    expect(await taskOf(db(), t.admin, taskIds['gpu']!)).toMatchObject({ preferredWorkerId: pricey.workerId, assignedWorkerId: cheap.workerId });
  });

  it('refuses a plan naming an unregistered preferred worker, naming it, and adds nothing', async () => {
    const t = team(db());
    await t.worker();
    const projectId = await newProject(db(), t.admin);
    const before = await tableCounts(db(), t.tenant);
    await expect(addTasks(db(), t.admin, { projectId, tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', preferredWorker: 'nobody-here' }] }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('task 2 preferredWorker "nobody-here" is not a registered worker') });
    expect(await tableCounts(db(), t.tenant)).toEqual(before);
  });

  it('once the budget is spent, premium workers get no new task of the project, and the tasks say why', async () => {
    const t = team(db());
    const premium = await t.worker({ qualityTier: 3, inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 1 });
    const standard = await t.worker({ qualityTier: 2, ...SONNET });
    const projectId = (await createProject(db(), t.admin, { projectName: 'budgeted', budgetUsd: 0.05 }))[0]!.projectId!;
    const first = await addPlan(db(), t.admin, projectId, [
      { key: 'spend', title: 'spends the budget', complexity: 'low' },
      { key: 'early-high', title: 'assigned before the budget ran out', complexity: 'high' },
    ]);
    // premium is the cheapest here, and the only tier-3 worker
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId])).toEqual([
      ['spend', premium.workerId], ['early-high', premium.workerId],
    ]);
    expect(await claimAndComplete(db(), premium, { costUsd: 0.05 })).toBe(first['spend']);

    const second = await addPlan(db(), t.admin, projectId, [
      { key: 'high', title: 'needs a premium model', complexity: 'high' },
      { key: 'medium', title: 'premium would be cheapest', complexity: 'medium' },
    ]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId, r.reason])).toEqual([
      ['medium', standard.workerId, 'only eligible worker'],
    ]);
    const note = 'budget spent: premium models excluded';
    expect(await taskOf(db(), t.admin, second['high']!)).toMatchObject({ routingNote: note, assignedWorkerId: null });
    // the automatic assignment made before the budget ran out is withdrawn, with an event
    expect(await taskOf(db(), t.admin, first['early-high']!)).toMatchObject({ routingNote: note, assignedWorkerId: null, assignmentSource: null });
    expect((await historyOf(db(), t.admin, first['early-high']!)).at(-1)).toBe(`unassigned ready->ready router: automatic assignment withdrawn: ${note}`);
    expect((await getProjectStatus(db(), t.admin, { projectId })).find((r) => r.taskKey === 'high')!.routingNote).toBe(note);
    // neither the claim nor the admin hands premium a task of this project any more
    expect(await claimNextTask(db(), premium.id, {})).toEqual([]);
    await expect(assignTask(db(), t.admin, { taskId: second['high']!, workerId: premium.workerId }))
      .rejects.toMatchObject({ number: 50409, message: expect.stringContaining('budget spent') });
    // another project without a budget still gets the premium worker
    const { projectId: other } = await createProjectWithPlan(db(), t.admin, [{ key: 'x', title: 'x', complexity: 'high' }]);
    expect((await assignReadyTasks(db(), t.admin, { projectId: other })).map((r) => r.workerId)).toEqual([premium.workerId]);
  });

  it('a worker gone offline loses its automatic assignments, not the manual ones; a draining one is routed around', async () => {
    const t = team(db());
    const w = await t.worker(CHEAP);
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [
      { key: 'manual', title: 'the admin chose' }, { key: 'auto', title: 'the router chose' },
    ]);
    await assignTask(db(), t.admin, { taskId: taskIds['manual']!, workerId: w.workerId });
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => r.taskKey)).toEqual(['auto']);
    expect((await taskOf(db(), t.admin, taskIds['manual']!)).assignmentSource).toBe('manual');

    await ageHeartbeat(db(), t.tenant, w.workerId, 600);
    expect((await sweepOfflineWorkers(db(), t.admin, { heartbeatTimeoutSeconds: 60 }))[0]).toMatchObject({ workersOfflined: 1 });
    expect(await taskOf(db(), t.admin, taskIds['auto']!)).toMatchObject({ assignedWorkerId: null, assignmentSource: null });
    expect((await historyOf(db(), t.admin, taskIds['auto']!)).at(-1))
      .toBe('unassigned ready->ready sweeper: worker went offline: automatic assignment withdrawn, the task will be routed again');
    expect(await taskOf(db(), t.admin, taskIds['manual']!)).toMatchObject({ assignedWorkerId: w.workerId, assignmentSource: 'manual' });

    // draining: the router moves the automatic assignment to a worker that will claim it
    const d = await t.worker(CHEAP);
    const other = await t.worker(SONNET);
    const more = await addPlan(db(), t.admin, projectId, [{ key: 'later', title: 'later' }]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId])).toEqual([
      ['auto', d.workerId], ['later', d.workerId],
    ]);
    await drainWorker(db(), t.admin, { workerId: d.workerId });
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId])).toEqual([
      ['auto', other.workerId], ['later', other.workerId],
    ]);
    expect((await taskOf(db(), t.admin, more['later']!)).assignedWorkerId).toBe(other.workerId);
  });

  it('does not give a task back to the worker whose lease on it expired (it may be gone); that worker may still pull it', async () => {
    const t = team(db());
    const a = await t.worker(CHEAP);
    const b = await t.worker(SONNET);
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [{ key: 'x', title: 'x', maxAttempts: 5 }]);
    const x = taskIds['x']!;
    const loseLease = async (m: typeof a) => {
      expect((await claimNextTask(db(), m.id, {}))[0]!.taskId).toBe(x);
      await sql(db(), "UPDATE mmos.task_queue SET lease_expires_at = now() - interval '1 minute' WHERE task_id = $1",
        'UPDATE mmos.TaskQueue SET LeaseExpiresAt = DATEADD(MINUTE, -1, SYSUTCDATETIME()) WHERE TaskId = @p1', [x]);
      expect((await sweepExpiredLeases(db(), t.admin, {}))[0]).toMatchObject({ expiredCount: 1, requeuedCount: 1 });
    };
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => r.workerId)).toEqual([a.workerId]);
    await loseLease(a);
    expect(await taskOf(db(), t.admin, x)).toMatchObject({ status: 'ready', assignedWorkerId: a.workerId });
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.workerId, r.reason])).toEqual([[b.workerId, 'only eligible worker']]);
    // only the last worker that lost it is passed over
    await loseLease(b);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => r.workerId)).toEqual([a.workerId]);
    await loseLease(a);
    await drainWorker(db(), t.admin, { workerId: b.workerId });
    expect(await assignReadyTasks(db(), t.admin, { projectId })).toEqual([]);
    expect(await taskOf(db(), t.admin, x)).toMatchObject({
      assignedWorkerId: null, routingNote: `the lease of ${a.workerId} on this task expired and no other online worker can take it`,
    });
    // pull mode: with nothing assigned to it, the worker may take the task itself
    expect((await claimNextTask(db(), a.id, {}))[0]).toMatchObject({ taskId: x, attempts: 4 });
  });

  it('ranks equal workers by recent success on the task type, from the history vw_ModelPerformance shows', async () => {
    const t = team(db());
    const flaky = await t.worker();
    const solid = await t.worker();
    await createProjectWithPlan(db(), t.admin, [
      { key: 'c1', title: 'code 1', type: 'coding' }, { key: 'c2', title: 'code 2', type: 'coding' },
    ]);
    const lost = (await claimNextTask(db(), flaky.id, {}))[0]!;
    await failTask(db(), flaky.id, { taskId: lost.taskId!, leaseToken: lost.leaseToken!, error: 'gave up', retryable: false });
    const won = (await claimNextTask(db(), solid.id, {}))[0]!;
    await completeTask(db(), solid.id, { taskId: won.taskId!, leaseToken: won.leaseToken!, result: 'ok', tokensIn: 1000, tokensOut: 1000 });

    const perf = await performanceOf(db(), t.tenant);
    expect(perf.find((r) => r['worker_id'] === flaky.workerId)).toMatchObject({ task_type: 'coding', tasks_completed: 0, failed_attempts: 1, success_rate: 0, avg_cost_usd: null });
    expect(perf.find((r) => r['worker_id'] === solid.workerId)).toMatchObject({ task_type: 'coding', tasks_completed: 1, failed_attempts: 0, success_rate: 1, avg_cost_usd: 0 });
    expect(Number(perf.find((r) => r['worker_id'] === solid.workerId)!['avg_duration_seconds'])).toBeGreaterThanOrEqual(0);

    const { projectId } = await createProjectWithPlan(db(), t.admin, [{ key: 'c3', title: 'code 3', type: 'coding' }, { key: 'g', title: 'other type' }]);
    expect((await assignReadyTasks(db(), t.admin, { projectId })).map((r) => [r.taskKey, r.workerId, r.reason])).toEqual([
      ['c3', solid.workerId, 'best recent success rate of the cheapest and least loaded'],
      // no history for 'general': the least loaded (flaky, now that solid has c3) takes it
      ['g', flaky.workerId, 'least loaded of the cheapest'],
    ]);
  });

  it('refuses a MaxTasks out of range (50400) and an unknown project (50404), changing nothing', async () => {
    const t = team(db());
    await t.worker();
    const { projectId } = await createProjectWithPlan(db(), t.admin, [{ key: 'a', title: 'A' }]);
    const before = [await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)];
    await expect(assignReadyTasks(db(), t.admin, { projectId, maxTasks: 0 }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('max tasks must be between 1 and 10000') });
    await expect(assignReadyTasks(db(), t.admin, { projectId: 987654321 }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('project 987654321 not found') });
    // another tenant's project is not found either
    await expect(assignReadyTasks(db(), team(db()).admin, { projectId }))
      .rejects.toMatchObject({ number: 50404 });
    expect([await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)]).toEqual(before);
  });
});

import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { as, unique } from '../support/identity.js';
import { sql } from '../support/seed.js';
import { createProjectWithPlan, newProject, tableCounts, taskRows } from '../support/fixtures.js';
import type { Identity } from '../../db/call.js';
import {
  assignTask, cancelTask, claimNextTask, completeTask, createProject, createProjectSignature, drainWorker, getProjectStatus,
  getTask, listProjects, registerWorker, unregisterWorker,
} from '../../generated/index.js';

const targets = await engineTargets();

/** A fresh tenant per test: lists, claims and row counts see only that test's rows. */
const someone = (): Identity => as('AdminClaude', unique('tenant'));

describeEachEngine('projects: create, list, status, get, cancel, assign', targets, (db) => {
  /** Puts a task straight into a state no single call produces on demand (done, dead, review...). */
  const setStatus = (taskId: number, status: string) =>
    sql(db(), 'UPDATE mmos.task_queue SET status = $2 WHERE task_id = $1', 'UPDATE mmos.TaskQueue SET Status = @p2 WHERE TaskId = @p1', [taskId, status]);

  const worker = async (tenantId: string, capabilities: string[] = ['general']): Promise<Identity> => {
    const w = as(unique('worker'), tenantId);
    await registerWorker(db(), w, { instanceName: w.callerId, modelType: 'Claude', capabilities });
    return w;
  };

  const eventsOf = async (taskId: number) =>
    (await sql(db(),
      'SELECT event_type, from_status, to_status, actor, detail FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id',
      'SELECT EventType AS event_type, FromStatus AS from_status, ToStatus AS to_status, Actor AS actor, Detail AS detail FROM mmos.TaskEvents WHERE TaskId = @p1 ORDER BY EventId',
      [taskId])).map((e) => [e['event_type'], e['from_status'], e['to_status'], e['actor'], e['detail']]);

  // ---------------------------------------------------------------- CreateProject
  it('a tenant id that is not one lower-case spelling is refused before the database, and nothing is written', async () => {
    // SQL Server compares by collation (case-insensitive, trailing spaces ignored by default):
    // 'Acme' and 'acme ' must never become a second spelling of tenant 'acme'.
    const base = unique('tenant');
    for (const tenantId of [base.toUpperCase(), `${base} `, '', 'a'.repeat(65), 'ten ant']) {
      await expect(createProject(db(), as('AdminClaude', tenantId), { projectName: 'Sneaky' }), JSON.stringify(tenantId))
        .rejects.toMatchObject({ number: 50400, message: expect.stringContaining(`invalid tenant id ${JSON.stringify(tenantId)}`) });
    }
    const sneaky = await sql(db(), "SELECT count(*) AS n FROM mmos.work_sessions WHERE project_name = 'Sneaky'",
      "SELECT COUNT(*) AS n FROM mmos.WorkSessions WHERE ProjectName = N'Sneaky'");
    expect(Number(sneaky[0]!['n'])).toBe(0);
    expect((await createProject(db(), as('AdminClaude', base), { projectName: 'Fine' }))[0]?.projectName).toBe('Fine');
  });

  it('CreateProject returns the new active project with its defaults', async () => {
    const me = someone();
    const [p] = await createProject(db(), me, { projectName: 'Checkout rewrite', description: 'Move checkout to the new API', priority: 3, budgetUsd: 12.5 });
    expect(p).toMatchObject({ projectName: 'Checkout rewrite', description: 'Move checkout to the new API', status: 'active', priority: 3, budgetUsd: 12.5, createdBy: 'AdminClaude' });
    expect(p!.projectId).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(p!.createdAt!) - Date.now())).toBeLessThan(60_000);
    const [q] = await createProject(db(), me, { projectName: 'Bare' });
    expect(q).toMatchObject({ description: null, priority: 0, budgetUsd: null, status: 'active' });
  });

  it('CreateProject refuses an empty or oversized name or description and a negative budget, writing nothing', async () => {
    const me = someone();
    const before = await tableCounts(db(), me.tenantId);
    const raw = (input: Record<string, unknown>) => db().call(createProjectSignature, { tenantId: me.tenantId, callerId: me.callerId, ...input });
    await expect(createProject(db(), me, { projectName: '' })).rejects.toMatchObject({ number: 50400, message: 'project name is empty' });
    await expect(createProject(db(), me, { projectName: 'x'.repeat(201) })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('projectName') });
    await expect(raw({ projectName: 'x'.repeat(201) })).rejects.toMatchObject({ number: 50400, message: 'project name is longer than 200 characters (201 given)' });
    await expect(createProject(db(), me, { projectName: 'ok', description: 'd'.repeat(20001) })).rejects.toMatchObject({ number: 50400, message: 'description is longer than 20000 characters (20001 given)' });
    await expect(createProject(db(), me, { projectName: 'ok', budgetUsd: -1 })).rejects.toMatchObject({ number: 50400, message: 'budget must be zero or more' });
    expect(await tableCounts(db(), me.tenantId)).toEqual(before);
  });

  // ---------------------------------------------------------------- ListProjects
  it('ListProjects counts tasks and progress (cancelled tasks do not count), filters by status, sees only its tenant', async () => {
    const me = someone();
    const a = await createProjectWithPlan(db(), me, [
      { key: 'a1', title: 'A1' }, { key: 'a2', title: 'A2' }, { key: 'a3', title: 'A3' }, { key: 'a4', title: 'A4' }, { key: 'a5', title: 'A5' },
    ]);
    await setStatus(a.taskIds['a1']!, 'done');
    await setStatus(a.taskIds['a2']!, 'done');
    await setStatus(a.taskIds['a3']!, 'cancelled');
    const [b] = await createProject(db(), me, { projectName: 'Urgent', priority: 9 });
    const empty = await newProject(db(), me);
    await sql(db(), "UPDATE mmos.work_sessions SET status = 'completed' WHERE project_id = $1", "UPDATE mmos.WorkSessions SET Status = N'completed' WHERE ProjectId = @p1", [empty]);
    await newProject(db(), someone()); // another tenant's

    const all = await listProjects(db(), me);
    expect(all.map((p) => [p.projectId, p.status, p.taskCount, p.doneCount, p.progressPercent])).toEqual([
      [b!.projectId, 'active', 0, 0, 0],
      [a.projectId, 'active', 5, 2, 50], // 2 done of the 4 not cancelled
      [empty, 'completed', 0, 0, 0],
    ]);
    expect(all[0]).toMatchObject({ projectName: 'Urgent', priority: 9, createdBy: 'AdminClaude', budgetUsd: null });
    expect((await listProjects(db(), me, { status: 'completed' })).map((p) => p.projectId)).toEqual([empty]);
    expect((await listProjects(db(), me, { status: 'Active' })).map((p) => p.projectId)).toEqual([b!.projectId, a.projectId]);
    expect(await listProjects(db(), me, { status: 'cancelled' })).toEqual([]);
    await expect(listProjects(db(), me, { status: 'paused' })).rejects.toMatchObject({ number: 50400, message: 'status "paused" is not one of active, completed, cancelled' });
  });

  // ---------------------------------------------------------------- GetProjectStatus
  it('GetProjectStatus gives one row per task with the project figures repeated on every row', async () => {
    const me = someone();
    const { projectId, taskIds } = await createProjectWithPlan(db(), me, [
      { key: 'spec', title: 'Spec', phase: 'design', type: 'planning' },
      { key: 'api', title: 'API', phase: 'build', type: 'coding', priority: 10, dependsOn: ['spec'] },
      { key: 'ui', title: 'UI', phase: 'build', priority: 5 },
      { key: 'flaky', title: 'Flaky', phase: 'build' },
      { key: 'broken', title: 'Broken', phase: 'build' },
      { key: 'check', title: 'Check', phase: 'review' },
      { key: 'dropped', title: 'Dropped', phase: 'build' },
      { key: 'later', title: 'Later', phase: 'ship', dependsOn: ['api', 'ui'] },
    ]);
    const w = await worker(me.tenantId);
    const other = await worker(me.tenantId);
    await setStatus(taskIds['spec']!, 'done');
    await sql(db(), "UPDATE mmos.task_queue SET status = 'ready', unmet_dependencies = 0 WHERE task_id = $1",
      "UPDATE mmos.TaskQueue SET Status = N'ready', UnmetDependencies = 0 WHERE TaskId = @p1", [taskIds['api']!]);
    const [claimed] = await claimNextTask(db(), w, {});
    expect(claimed!.taskId).toBe(taskIds['api']); // priority 10
    await assignTask(db(), me, { taskId: taskIds['ui']!, workerId: other.callerId });
    await setStatus(taskIds['flaky']!, 'retry_wait');
    await setStatus(taskIds['broken']!, 'dead');
    await setStatus(taskIds['check']!, 'review');
    await cancelTask(db(), me, { taskId: taskIds['dropped']! });

    const rows = await getProjectStatus(db(), me, { projectId });
    expect(rows.map((r) => [r.taskKey, r.status, r.phase, r.workerId])).toEqual([
      ['spec', 'done', 'design', null],
      ['api', 'running', 'build', w.callerId],
      ['ui', 'ready', 'build', other.callerId],
      ['flaky', 'retry_wait', 'build', null],
      ['broken', 'dead', 'build', null],
      ['check', 'review', 'review', null],
      ['dropped', 'cancelled', 'build', null],
      ['later', 'blocked', 'ship', null],
    ]);
    expect(rows[1]).toMatchObject({ taskId: taskIds['api'], title: 'API', taskType: 'coding', priority: 10, attempts: 1, maxAttempts: 3, unmetDependencies: 0 });
    expect(rows[7]).toMatchObject({ unmetDependencies: 2, blockedReason: null });
    const project = {
      projectName: expect.any(String), projectStatus: 'active', taskCount: 8, blockedCount: 1, readyCount: 1, runningCount: 1,
      reviewCount: 1, doneCount: 1, failedCount: 2, cancelledCount: 1,
      projectProgressPercent: 14, // 1 done of the 7 not cancelled
      currentPhase: 'build', // 'spec' is done; the oldest open task is 'api'
    };
    for (const r of rows) expect(r).toMatchObject(project);
  });

  it('GetProjectStatus: a project without tasks gives one row with empty task columns; an unknown project is 50404; workers may read it', async () => {
    const me = someone();
    const projectId = await newProject(db(), me, 'Empty one');
    const rows = await getProjectStatus(db(), me, { projectId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ taskId: null, taskKey: null, status: null, projectName: 'Empty one', projectStatus: 'active', taskCount: 0,
      projectProgressPercent: 0, doneCount: 0, currentPhase: null });
    await expect(getProjectStatus(db(), me, { projectId: 987654321 })).rejects.toMatchObject({ number: 50404, message: 'project 987654321 not found' });
    await expect(getProjectStatus(db(), someone(), { projectId })).rejects.toMatchObject({ number: 50404, message: `project ${projectId} not found` });
    // Grants follow the headers: workers may read the status and a task, not list projects.
    const w = await worker(me.tenantId);
    expect(await getProjectStatus(db(), w, { projectId }, { role: 'worker' })).toHaveLength(1);
    await expect(listProjects(db(), w, {}, { role: 'worker' })).rejects.toThrow(/permission|denied/i);
  });

  it('GetProjectStatus: the current phase is empty once every task is done or cancelled', async () => {
    const me = someone();
    const { projectId, taskIds } = await createProjectWithPlan(db(), me, [{ key: 'a', title: 'A', phase: 'one' }, { key: 'b', title: 'B', phase: 'two' }]);
    await setStatus(taskIds['a']!, 'done');
    expect((await getProjectStatus(db(), me, { projectId }))[0]).toMatchObject({ currentPhase: 'two', projectProgressPercent: 50 });
    await cancelTask(db(), me, { taskId: taskIds['b']! });
    expect((await getProjectStatus(db(), me, { projectId }))[0]).toMatchObject({ currentPhase: null, projectProgressPercent: 100, projectStatus: 'completed' });
  });

  // ---------------------------------------------------------------- GetTask
  it('GetTask returns everything an agent needs about one task, never the lease token', async () => {
    const me = someone();
    const { projectId, taskIds } = await createProjectWithPlan(db(), me, [
      { key: 'a', title: 'A' }, { key: 'b', title: 'B' },
      { key: 'c', title: 'Build C', description: 'All of it', type: 'coding', phase: 'p1', priority: 4, complexity: 'medium', requiresReview: true,
        maxAttempts: 2, capabilities: ['TypeScript', 'sql'], dependsOn: ['b', 'a'], notBefore: '2031-05-06T07:08:09Z' },
    ]);
    const [t] = await getTask(db(), me, { taskId: taskIds['c']! });
    expect(t).toMatchObject({
      taskId: taskIds['c'], projectId, taskKey: 'c', title: 'Build C', description: 'All of it', taskType: 'coding', phase: 'p1', priority: 4,
      complexity: 'medium', status: 'blocked', blockedReason: null, unmetDependencies: 2, workerId: null, assignedWorkerId: null,
      leaseExpiresAt: null, attempts: 0, maxAttempts: 2, notBefore: '2031-05-06T07:08:09.000Z', progressPercent: null, result: null,
      lastError: null, requiresReview: true, reviewFeedback: null, dependsOn: [taskIds['a'], taskIds['b']], requiredCapabilities: ['sql', 'typescript'],
      createdBy: 'AdminClaude', startedAt: null, completedAt: null,
    });
    expect(t!.projectName).toEqual(expect.any(String));
    expect(Object.keys(t!)).not.toContain('leaseToken');

    const w = await worker(me.tenantId);
    await assignTask(db(), me, { taskId: taskIds['a']!, workerId: w.callerId });
    const [claim] = await claimNextTask(db(), w, { leaseSeconds: 120 });
    const [a] = await getTask(db(), w, { taskId: claim!.taskId! }, { role: 'worker' });
    expect(a).toMatchObject({ taskId: taskIds['a'], status: 'running', workerId: w.callerId, assignedWorkerId: w.callerId, attempts: 1,
      dependsOn: [], requiredCapabilities: [], leaseExpiresAt: claim!.leaseExpiresAt });
    await expect(getTask(db(), me, { taskId: 987654321 })).rejects.toMatchObject({ number: 50404, message: 'task 987654321 not found' });
    await expect(getTask(db(), someone(), { taskId: taskIds['a']! })).rejects.toMatchObject({ number: 50404 });
  });

  // ---------------------------------------------------------------- CancelTask
  it('CancelTask cancels the task and, transitively, every dependent not done, each once (diamond), with events', async () => {
    const me = someone();
    const { projectId, taskIds: id } = await createProjectWithPlan(db(), me, [
      { key: 'root', title: 'Root' },
      { key: 'left', title: 'Left', dependsOn: ['root'] },
      { key: 'right', title: 'Right', dependsOn: ['root'] },
      { key: 'join', title: 'Join', dependsOn: ['left', 'right'] },
      { key: 'tail', title: 'Tail', dependsOn: ['join'] },
      { key: 'free', title: 'Free' },
      { key: 'side', title: 'Side', dependsOn: ['free'] },
    ]);
    const rows = await cancelTask(db(), me, { taskId: id['root']!, reason: 'scope cut' });
    expect(rows).toEqual([
      { taskId: id['root'], taskKey: 'root', previousStatus: 'ready' },
      { taskId: id['left'], taskKey: 'left', previousStatus: 'blocked' },
      { taskId: id['right'], taskKey: 'right', previousStatus: 'blocked' },
      { taskId: id['join'], taskKey: 'join', previousStatus: 'blocked' },
      { taskId: id['tail'], taskKey: 'tail', previousStatus: 'blocked' },
    ]);
    const status = Object.fromEntries((await getProjectStatus(db(), me, { projectId })).map((r) => [r.taskKey, r.status]));
    expect(status).toEqual({ root: 'cancelled', left: 'cancelled', right: 'cancelled', join: 'cancelled', tail: 'cancelled', free: 'ready', side: 'blocked' });
    expect(await eventsOf(id['root']!)).toEqual([
      ['created', null, 'ready', 'AdminClaude', null],
      ['cancelled', 'ready', 'cancelled', 'AdminClaude', 'scope cut'],
    ]);
    expect((await eventsOf(id['join']!))[1]).toEqual(['cancelled', 'blocked', 'cancelled', 'AdminClaude', 'dependency root cancelled: scope cut']);
    expect((await getProjectStatus(db(), me, { projectId }))[0]!.projectStatus).toBe('active');

    // Cancelling a dependent alone leaves its dependency alone.
    expect((await cancelTask(db(), me, { taskId: id['side']! })).map((r) => r.taskKey)).toEqual(['side']);
    expect((await getTask(db(), me, { taskId: id['free']! }))[0]!.status).toBe('ready');
  });

  it('CancelTask takes the lease from a running task: its worker can no longer complete it', async () => {
    const me = someone();
    const { taskIds } = await createProjectWithPlan(db(), me, [{ key: 'work', title: 'Work' }, { key: 'next', title: 'Next', dependsOn: ['work'] }]);
    const w = await worker(me.tenantId);
    const [claim] = await claimNextTask(db(), w, {});
    expect(claim!.taskId).toBe(taskIds['work']);
    const rows = await cancelTask(db(), me, { taskId: taskIds['work']!, reason: 'wrong approach' });
    expect(rows.map((r) => [r.taskKey, r.previousStatus])).toEqual([['work', 'running'], ['next', 'blocked']]);
    const err = await completeTask(db(), w, { taskId: taskIds['work']!, leaseToken: claim!.leaseToken!, result: 'done anyway' }).catch((e: unknown) => e);
    expect([50409, 50412]).toContain((err as { number?: number }).number);
    const [t] = await getTask(db(), me, { taskId: taskIds['work']! });
    expect(t).toMatchObject({ status: 'cancelled', leaseExpiresAt: null, result: null });
    // Both tasks were all the project had left: it is complete, as after the last completion.
    expect((await listProjects(db(), me))[0]!.status).toBe('completed');
  });

  it('CancelTask refuses an unknown task (50404), a done or cancelled one (50409) and an oversized reason (50400), changing nothing', async () => {
    const me = someone();
    const { taskIds } = await createProjectWithPlan(db(), me, [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a'] }, { key: 'c', title: 'C' }]);
    await setStatus(taskIds['a']!, 'done');
    await cancelTask(db(), me, { taskId: taskIds['c']! });
    const before = { counts: await tableCounts(db(), me.tenantId), tasks: await taskRows(db(), me.tenantId) };
    await expect(cancelTask(db(), me, { taskId: 987654321 })).rejects.toMatchObject({ number: 50404, message: 'task 987654321 not found' });
    await expect(cancelTask(db(), someone(), { taskId: taskIds['b']! })).rejects.toMatchObject({ number: 50404, message: `task ${taskIds['b']} not found` });
    await expect(cancelTask(db(), me, { taskId: taskIds['a']! })).rejects.toMatchObject({ number: 50409, message: `task ${taskIds['a']} is already done` });
    await expect(cancelTask(db(), me, { taskId: taskIds['c']! })).rejects.toMatchObject({ number: 50409, message: `task ${taskIds['c']} is already cancelled` });
    await expect(cancelTask(db(), me, { taskId: taskIds['b']!, reason: 'r'.repeat(401) })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('reason') });
    expect({ counts: await tableCounts(db(), me.tenantId), tasks: await taskRows(db(), me.tenantId) }).toEqual(before);
  });

  // ---------------------------------------------------------------- AssignTask
  it('AssignTask: the named worker claims the task first, and no other worker takes it', async () => {
    const me = someone();
    const { taskIds } = await createProjectWithPlan(db(), me, [
      { key: 'urgent', title: 'Urgent', priority: 50 },
      { key: 'mine', title: 'For w2', priority: 1, capabilities: ['sql'] },
      { key: 'later', title: 'Later', dependsOn: ['urgent'] },
    ]);
    const w1 = await worker(me.tenantId, ['sql']);
    const w2 = await worker(me.tenantId, ['sql', 'general']);
    const [assigned] = await assignTask(db(), me, { taskId: taskIds['mine']!, workerId: w2.callerId });
    expect(assigned).toEqual({ taskId: taskIds['mine'], taskKey: 'mine', status: 'ready', assignedWorkerId: w2.callerId });
    expect((await eventsOf(taskIds['mine']!)).at(-1)).toEqual(['assigned', 'ready', 'ready', 'AdminClaude', `assigned to ${w2.callerId}`]);
    // A blocked task can be assigned too; it waits for its dependencies as before.
    expect((await assignTask(db(), me, { taskId: taskIds['later']!, workerId: w1.callerId }))[0]).toMatchObject({ status: 'blocked', assignedWorkerId: w1.callerId });

    // w1 gets the urgent task, then nothing: 'mine' belongs to w2.
    expect((await claimNextTask(db(), w1, {}))[0]!.taskId).toBe(taskIds['urgent']);
    expect(await claimNextTask(db(), w1, {})).toEqual([]);
    expect((await claimNextTask(db(), w2, {}))[0]!.taskId).toBe(taskIds['mine']);
  });

  it('AssignTask: the assigned task comes before a higher-priority one, and reassigning moves it', async () => {
    const me = someone();
    const { taskIds } = await createProjectWithPlan(db(), me, [{ key: 'high', title: 'High', priority: 100 }, { key: 'low', title: 'Low', priority: 0 }]);
    const w1 = await worker(me.tenantId);
    const w2 = await worker(me.tenantId);
    await assignTask(db(), me, { taskId: taskIds['low']!, workerId: w1.callerId });
    await setStatus(taskIds['low']!, 'retry_wait');
    expect((await assignTask(db(), me, { taskId: taskIds['low']!, workerId: w2.callerId }))[0]).toMatchObject({ status: 'retry_wait', assignedWorkerId: w2.callerId });
    await setStatus(taskIds['low']!, 'ready');
    expect((await claimNextTask(db(), w2, {}))[0]!.taskId).toBe(taskIds['low']);
  });

  it('AssignTask refuses unknown tasks and workers (50404), wrong states, unavailable or unfit workers (50409), changing nothing', async () => {
    const me = someone();
    const { taskIds } = await createProjectWithPlan(db(), me, [
      { key: 'open', title: 'Open' }, { key: 'run', title: 'Run', priority: 9 }, { key: 'fin', title: 'Fin' }, { key: 'gpu', title: 'GPU', capabilities: ['gpu'] },
    ]);
    const runner = await worker(me.tenantId);
    await claimNextTask(db(), runner, {}); // takes 'run' (priority 9)
    await setStatus(taskIds['fin']!, 'done');
    const ok = await worker(me.tenantId);
    const draining = await worker(me.tenantId);
    await drainWorker(db(), me, { workerId: draining.callerId });
    const gone = await worker(me.tenantId);
    await unregisterWorker(db(), gone, {});
    const stranger = await worker(unique('tenant'));

    const before = { counts: await tableCounts(db(), me.tenantId), tasks: await taskRows(db(), me.tenantId) };
    const refuse = (taskId: number, workerId: string, number: number, message: string) =>
      expect(assignTask(db(), me, { taskId, workerId })).rejects.toMatchObject({ number, message });
    await refuse(987654321, ok.callerId, 50404, 'task 987654321 not found');
    await refuse(taskIds['open']!, 'nobody', 50404, 'worker nobody not found');
    await refuse(taskIds['open']!, stranger.callerId, 50404, `worker ${stranger.callerId} not found`);
    await refuse(taskIds['run']!, ok.callerId, 50409, `task ${taskIds['run']} is running; only blocked, ready or retry_wait tasks can be assigned`);
    await refuse(taskIds['fin']!, ok.callerId, 50409, `task ${taskIds['fin']} is done; only blocked, ready or retry_wait tasks can be assigned`);
    await refuse(taskIds['open']!, draining.callerId, 50409, `worker ${draining.callerId} is draining, not online`);
    await refuse(taskIds['open']!, gone.callerId, 50409, `worker ${gone.callerId} is offline, not online`);
    await refuse(taskIds['gpu']!, ok.callerId, 50409, `worker ${ok.callerId} lacks capability "gpu", which task ${taskIds['gpu']} requires`);
    await refuse(taskIds['open']!, '', 50400, 'worker id is empty');
    expect({ counts: await tableCounts(db(), me.tenantId), tasks: await taskRows(db(), me.tenantId) }).toEqual(before);
  });
});

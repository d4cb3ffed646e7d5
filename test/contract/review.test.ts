import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { createProjectWithPlan, tableCounts, taskRows } from '../support/fixtures.js';
import { sql } from '../support/seed.js';
import { claimAndComplete, historyOf, performanceOf, taskOf, team } from '../support/team.js';
import {
  assignReadyTasksTool, claimNextTask, completeTask, getCostReportTool, getTaskHistory, getTaskHistoryTool, reviewTask, reviewTaskTool,
} from '../../generated/index.js';
import { mayUse, SERVED_TOOLSETS } from '../../mcp/tool-registry.js';

const targets = await engineTargets();
const denied = /permission denied|EXECUTE permission was denied/i;

it('review_task and get_task_history are offered to workers and the admin (orchestrator toolset), the routing and cost tools to the admin only', () => {
  const all = new Set<(typeof SERVED_TOOLSETS)[number]>(SERVED_TOOLSETS);
  for (const tool of [reviewTaskTool, getTaskHistoryTool]) {
    expect(tool.toolset).toBe('orchestrator');
    expect([mayUse('admin', tool, all), mayUse('worker', tool, all), mayUse('reader', tool, all)]).toEqual([true, true, false]);
  }
  for (const tool of [assignReadyTasksTool, getCostReportTool])
    expect([mayUse('admin', tool, all), mayUse('worker', tool, all), mayUse('reader', tool, all)]).toEqual([true, false, false]);
});

/** ReviewTask and GetTaskHistory: who may review, approval, changes requested, and the history. */
describeEachEngine('review', targets, (db) => {
  it('a completed task that requires review waits; its author may not review it; the admin approves and its dependents become ready', async () => {
    const t = team(db());
    const author = await t.worker({ capabilities: ['coding', 'review'] });
    const noReview = await t.worker({ capabilities: ['coding'] });
    const { taskIds } = await createProjectWithPlan(db(), t.admin, [
      { key: 'impl', title: 'Implement it', requiresReview: true },
      { key: 'after', title: 'Needs the reviewed work', dependsOn: ['impl'] },
    ]);
    const impl = taskIds['impl']!;
    expect(await claimAndComplete(db(), author)).toBe(impl);
    expect(await taskOf(db(), t.admin, impl)).toMatchObject({ status: 'review' });
    expect((await taskOf(db(), t.admin, taskIds['after']!)).status).toBe('blocked');

    const before = [await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)];
    await expect(reviewTask(db(), author.id, { taskId: impl, approve: true }))
      .rejects.toMatchObject({ number: 50403, message: expect.stringContaining(`worker ${author.workerId} completed task ${impl} and may not review its own work`) });
    await expect(reviewTask(db(), noReview.id, { taskId: impl, approve: true }))
      .rejects.toMatchObject({ number: 50403, message: expect.stringContaining(`worker ${noReview.workerId} may not review: it does not have the review capability`) });
    await expect(reviewTask(db(), { ...t.admin, role: 'reader' }, { taskId: impl, approve: true }))
      .rejects.toMatchObject({ number: 50403, message: expect.stringContaining('the reader role may not review') });
    await expect(reviewTask(db(), { ...author.id, callerId: 'not-registered' }, { taskId: impl, approve: true }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('worker not-registered not found') });
    expect([await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)]).toEqual(before);

    expect(await reviewTask(db(), t.admin, { taskId: impl, approve: true, feedback: 'looks good' })).toEqual([
      { taskId: impl, status: 'done', attempts: 1, maxAttempts: 3, reviewFeedback: null, unblockedCount: 1 },
    ]);
    expect((await taskOf(db(), t.admin, taskIds['after']!)).status).toBe('ready');
    expect(await historyOf(db(), t.admin, impl)).toEqual([
      'created ->ready AdminClaude',
      `claimed ready->running ${author.workerId}: attempt 1 of 3`,
      `completed running->review ${author.workerId}`,
      'review_approved review->done AdminClaude: looks good',
    ]);
  });

  it('a worker with the review capability may review another worker\'s task, under its database role; the last approval completes the project', async () => {
    const t = team(db());
    const author = await t.worker();
    const reviewer = await t.worker({ capabilities: ['review'] });
    const { projectId, taskIds } = await createProjectWithPlan(db(), t.admin, [{ key: 'only', title: 'Only task', requiresReview: true }]);
    await claimAndComplete(db(), author);
    await expect(reviewTask(db(), reviewer.id, { taskId: taskIds['only']!, approve: true }, { role: 'reader' })).rejects.toThrow(denied);
    expect((await reviewTask(db(), reviewer.id, { taskId: taskIds['only']!, approve: true }, { role: 'worker' }))[0]).toMatchObject({ status: 'done' });
    const project = await sql(db(),
      'SELECT status FROM mmos.work_sessions WHERE project_id = $1', 'SELECT Status AS status FROM mmos.WorkSessions WHERE ProjectId = @p1', [projectId]);
    expect(project[0]!['status']).toBe('completed');
    // the history is readable by workers and the admin, not by the reader role
    expect((await getTaskHistory(db(), reviewer.id, { taskId: taskIds['only']! }, { role: 'worker' })).at(-1))
      .toMatchObject({ eventType: 'review_approved', fromStatus: 'review', toStatus: 'done', actor: reviewer.workerId, detail: null });
    await expect(getTaskHistory(db(), reviewer.id, { taskId: taskIds['only']! }, { role: 'reader' })).rejects.toThrow(denied);
  });

  it('changes requested need feedback, send the task back with it to the next claim, count the attempt, and dead-letter after the last one', async () => {
    const t = team(db());
    const author = await t.worker();
    const { taskIds } = await createProjectWithPlan(db(), t.admin, [
      { key: 'impl', title: 'Implement it', requiresReview: true, maxAttempts: 2 },
      { key: 'after', title: 'Needs it', dependsOn: ['impl'] },
    ]);
    const impl = taskIds['impl']!;
    await claimAndComplete(db(), author);

    const before = [await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)];
    for (const feedback of [undefined, '', '   '])
      await expect(reviewTask(db(), t.admin, { taskId: impl, approve: false, feedback }))
        .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('feedback is empty') });
    await expect(reviewTask(db(), t.admin, { taskId: impl, approve: false, feedback: 'x'.repeat(20001) }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('feedback is longer than 20000 characters') });
    expect([await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)]).toEqual(before);

    const first = 'Add tests for the empty input.';
    expect(await reviewTask(db(), t.admin, { taskId: impl, approve: false, feedback: first })).toEqual([
      { taskId: impl, status: 'ready', attempts: 1, maxAttempts: 2, reviewFeedback: first, unblockedCount: 0 },
    ]);
    expect(await taskOf(db(), t.admin, impl)).toMatchObject({ workerId: null, completedAt: null });
    const again = (await claimNextTask(db(), author.id, {}))[0]!;
    expect(again).toMatchObject({ taskId: impl, attempts: 2, reviewFeedback: first });
    await completeTask(db(), author.id, { taskId: impl, leaseToken: again.leaseToken!, result: 'with tests' });

    const second = 'Still no test for the empty input.';
    expect(await reviewTask(db(), t.admin, { taskId: impl, approve: false, feedback: second })).toEqual([
      { taskId: impl, status: 'dead', attempts: 2, maxAttempts: 2, reviewFeedback: second, unblockedCount: 0 },
    ]);
    expect(await taskOf(db(), t.admin, impl)).toMatchObject({ lastError: `changes requested after the last attempt (2 of 2): ${second}` });
    expect(await taskOf(db(), t.admin, taskIds['after']!)).toMatchObject({ status: 'blocked', blockedReason: 'dependency impl failed' });

    // the history shows every review, with its feedback
    expect((await historyOf(db(), t.admin, impl)).slice(1)).toEqual([
      `claimed ready->running ${author.workerId}: attempt 1 of 2`,
      `completed running->review ${author.workerId}`,
      `changes_requested review->ready AdminClaude: ${first}`,
      `claimed ready->running ${author.workerId}: attempt 2 of 2`,
      `completed running->review ${author.workerId}`,
      `changes_requested review->dead AdminClaude: ${second}`,
      `dead_lettered review->dead AdminClaude: changes requested after the last attempt (2 of 2): ${second}`,
    ]);
    // and a rejected attempt is a failed attempt of its author
    expect(await performanceOf(db(), t.tenant)).toMatchObject([{ worker_id: author.workerId, task_type: 'general', tasks_completed: 0, failed_attempts: 2, success_rate: 0 }]);
  });

  it('refuses a task not in review (50409) and an unknown task (50404), changing nothing', async () => {
    const t = team(db());
    await t.worker();
    const { taskIds } = await createProjectWithPlan(db(), t.admin, [{ key: 'a', title: 'A', requiresReview: true }]);
    const before = [await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)];
    await expect(reviewTask(db(), t.admin, { taskId: taskIds['a']!, approve: true }))
      .rejects.toMatchObject({ number: 50409, message: expect.stringContaining(`task ${taskIds['a']} is ready, not in review`) });
    await expect(reviewTask(db(), t.admin, { taskId: 987654321, approve: true }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('task 987654321 not found') });
    await expect(reviewTask(db(), team(db()).admin, { taskId: taskIds['a']!, approve: true })).rejects.toMatchObject({ number: 50404 });
    await expect(getTaskHistory(db(), t.admin, { taskId: 987654321 }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('task 987654321 not found') });
    expect([await tableCounts(db(), t.tenant), await taskRows(db(), t.tenant)]).toEqual(before);
  });
});

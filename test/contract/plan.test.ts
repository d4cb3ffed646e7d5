import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { as, unique } from '../support/identity.js';
import { sql, seedProject, seedTask } from '../support/seed.js';
import { addPlan, newProject, tableCounts } from '../support/fixtures.js';
import type { Identity } from '../../db/call.js';
import { addTasks, addTasksSignature } from '../../generated/index.js';

const targets = await engineTargets();

/** A fresh tenant per test, so row counts (nothing written) see only that test's rows. */
const someone = (): Identity => as('AdminClaude', unique('tenant'));

describeEachEngine('plan: AddTasks', targets, (db) => {
  /** Calls the procedure through the engine only: no zod, as a caller bypassing TypeScript would. */
  const raw = (id: Identity, input: Record<string, unknown>) =>
    db().call(addTasksSignature, { tenantId: id.tenantId, callerId: id.callerId, ...input });

  const storedTasks = async (projectId: number): Promise<Record<string, unknown>[]> =>
    (await sql(db(),
      `SELECT task_key, title, description, task_type, phase, priority, complexity, status, unmet_dependencies, max_attempts,
              requires_review, not_before, blocked_reason, created_by, submission_id
         FROM mmos.task_queue WHERE project_id = $1 ORDER BY task_id`,
      `SELECT TaskKey AS task_key, Title AS title, Description AS description, TaskType AS task_type, Phase AS phase,
              Priority AS priority, Complexity AS complexity, Status AS status, UnmetDependencies AS unmet_dependencies,
              MaxAttempts AS max_attempts, RequiresReview AS requires_review, NotBefore AS not_before,
              BlockedReason AS blocked_reason, CreatedBy AS created_by, SubmissionId AS submission_id
         FROM mmos.TaskQueue WHERE ProjectId = @p1 ORDER BY TaskId`,
      [projectId])).map((r) => ({
      ...r,
      requires_review: r['requires_review'] === true || r['requires_review'] === 1,
      not_before: new Date(r['not_before'] as string).toISOString(),
    }));

  const dependenciesOf = async (taskId: number) =>
    (await sql(db(),
      'SELECT depends_on_task_id AS d FROM mmos.task_dependencies WHERE task_id = $1 ORDER BY depends_on_task_id',
      'SELECT DependsOnTaskId AS d FROM mmos.TaskDependencies WHERE TaskId = @p1 ORDER BY DependsOnTaskId',
      [taskId])).map((r) => Number(r['d']));

  it('adds a whole plan: ready without unmet dependencies, blocked with their count, every field stored', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    const rows = await addTasks(db(), me, {
      projectId,
      tasks: [
        { key: 'design', title: 'Design the API', description: 'REST, JSON', type: 'planning', phase: 'design', priority: 5,
          capabilities: ['Architecture', 'architecture', 'docs'], complexity: 'high', requiresReview: true, maxAttempts: 5 },
        { key: 'build', title: 'Build it', type: 'coding', phase: 'build', dependsOn: ['design'], notBefore: '2030-01-02T03:04:05+02:00' },
        { key: 'test', title: 'Test it', type: 'testing', phase: 'build', dependsOn: ['build', 'DESIGN', 'design'], priority: -1 },
      ],
    });
    expect(rows.map((r) => [r.taskKey, r.title, r.status, r.priority, r.unmetDependencies, r.replayed])).toEqual([
      ['design', 'Design the API', 'ready', 5, 0, false],
      ['build', 'Build it', 'blocked', 0, 1, false],
      ['test', 'Test it', 'blocked', -1, 2, false],
    ]);
    const ids = rows.map((r) => r.taskId!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const stored = await storedTasks(projectId);
    expect(stored[0]).toMatchObject({ task_key: 'design', description: 'REST, JSON', task_type: 'planning', phase: 'design', complexity: 'high',
      requires_review: true, max_attempts: 5, created_by: 'AdminClaude', submission_id: null, blocked_reason: null });
    // No complexity given: estimated by _EstimateComplexity (coding, short, no hard subject -> medium).
    expect(stored[1]).toMatchObject({ task_type: 'coding', complexity: 'medium', requires_review: false, max_attempts: 3, not_before: '2030-01-02T01:04:05.000Z' });
    expect(stored[2]).toMatchObject({ task_type: 'testing', unmet_dependencies: 2 });
    // notBefore defaults to now: claimable at once.
    expect(Date.parse(stored[0]!['not_before'] as string)).toBeLessThanOrEqual(Date.now() + 5_000);

    expect(await dependenciesOf(ids[0]!)).toEqual([]);
    expect(await dependenciesOf(ids[1]!)).toEqual([ids[0]]);
    expect(await dependenciesOf(ids[2]!)).toEqual([ids[0], ids[1]]);

    const caps = await sql(db(),
      'SELECT task_id, capability FROM mmos.task_required_capabilities WHERE tenant_id = $1 ORDER BY task_id, capability',
      'SELECT TaskId AS task_id, Capability AS capability FROM mmos.TaskRequiredCapabilities WHERE TenantId = @p1 ORDER BY TaskId, Capability',
      [me.tenantId]);
    expect(caps.map((c) => [Number(c['task_id']), c['capability']])).toEqual([[ids[0], 'architecture'], [ids[0], 'docs']]);

    const events = await sql(db(),
      'SELECT task_id, event_type, from_status, to_status, actor, project_id FROM mmos.task_events WHERE tenant_id = $1 ORDER BY event_id',
      'SELECT TaskId AS task_id, EventType AS event_type, FromStatus AS from_status, ToStatus AS to_status, Actor AS actor, ProjectId AS project_id FROM mmos.TaskEvents WHERE TenantId = @p1 ORDER BY EventId',
      [me.tenantId]);
    expect(events.map((e) => [Number(e['task_id']), e['event_type'], e['from_status'], e['to_status'], e['actor'], Number(e['project_id'])])).toEqual([
      [ids[0], 'created', null, 'ready', 'AdminClaude', projectId],
      [ids[1], 'created', null, 'blocked', 'AdminClaude', projectId],
      [ids[2], 'created', null, 'blocked', 'AdminClaude', projectId],
    ]);
  });

  it('depends on existing tasks of the project by key: done ones are met, others count, a dead one blocks with a reason', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    const first = await addPlan(db(), me, projectId, [{ key: 'Schema', title: 'Schema' }, { key: 'api', title: 'API', dependsOn: ['Schema'] }]);
    const done = await seedTask(db(), me.tenantId, projectId, { key: 'old-done', status: 'done' });
    const dead = await seedTask(db(), me.tenantId, projectId, { key: 'old-dead', status: 'dead' });

    const rows = await addTasks(db(), me, {
      projectId,
      tasks: [
        { key: 'docs', title: 'Docs', dependsOn: ['old-done'] },
        { key: 'ui', title: 'UI', dependsOn: ['schema', 'API', 'old-done'] },
        { key: 'report', title: 'Report', dependsOn: ['old-dead', 'docs'] },
      ],
    });
    expect(rows.map((r) => [r.taskKey, r.status, r.unmetDependencies])).toEqual([
      ['docs', 'ready', 0], ['ui', 'blocked', 2], ['report', 'blocked', 2],
    ]);
    expect(await dependenciesOf(rows[1]!.taskId!)).toEqual([first['Schema'], first['api'], done].sort((a, b) => a! - b!));
    expect(await dependenciesOf(rows[2]!.taskId!)).toEqual([dead, rows[0]!.taskId]);
    const stored = await storedTasks(projectId);
    expect(stored.find((t) => t['task_key'] === 'report')!['blocked_reason']).toBe('dependency old-dead failed');
    expect(stored.find((t) => t['task_key'] === 'ui')!['blocked_reason']).toBeNull();
  });

  it('replays a submission with the same idempotency key: nothing written, the first tasks returned', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    const plan = [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a'] }];
    const first = await addTasks(db(), me, { projectId, tasks: plan, idempotencyKey: 'plan-1' });
    const counts = await tableCounts(db(), me.tenantId);

    const again = await addTasks(db(), me, { projectId, tasks: plan, idempotencyKey: 'plan-1' });
    expect(again.map((r) => ({ ...r, replayed: false }))).toEqual(first);
    expect(again.every((r) => r.replayed)).toBe(true);
    // The key decides, not the payload; keys compare case-insensitively.
    const other = await addTasks(db(), me, { projectId, tasks: [{ key: 'zzz', title: 'Z' }], idempotencyKey: 'PLAN-1' });
    expect(other.map((r) => r.taskId)).toEqual(first.map((r) => r.taskId));
    // A raw call replays too.
    const rawAgain = await raw(me, { projectId, tasks: plan, idempotencyKey: 'plan-1' });
    expect(rawAgain.map((r) => r['taskId'])).toEqual(first.map((r) => r.taskId));
    expect(await tableCounts(db(), me.tenantId)).toEqual(counts);
    expect(counts['PlanSubmissions']).toBe(1);
    const stored = await storedTasks(projectId);
    expect(new Set(stored.map((t) => t['submission_id'])).size).toBe(1);
    expect(stored[0]!['submission_id']).not.toBeNull();

    // The same key on another project is another submission.
    const otherProject = await newProject(db(), me);
    const elsewhere = await addTasks(db(), me, { projectId: otherProject, tasks: plan, idempotencyKey: 'plan-1' });
    expect(elsewhere.every((r) => !r.replayed)).toBe(true);
    // Progress made since shows in the replay (the rows are read back, not remembered).
    await sql(db(), "UPDATE mmos.task_queue SET status = 'done' WHERE task_id = $1", "UPDATE mmos.TaskQueue SET Status = N'done' WHERE TaskId = @p1", [first[0]!.taskId]);
    const later = await addTasks(db(), me, { projectId, tasks: plan, idempotencyKey: 'plan-1' });
    expect(later[0]).toMatchObject({ status: 'done', replayed: true });
  });

  it('serialises racing submissions of the same key: one plan written, both callers get its tasks', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    const plan = Array.from({ length: 20 }, (_, i) => ({ key: `t${i}`, title: `T${i}`, dependsOn: i ? [`t${i - 1}`] : [] }));
    const results = await Promise.all([1, 2, 3, 4].map(() => addTasks(db(), me, { projectId, tasks: plan, idempotencyKey: 'race' })));
    const ids = results.map((r) => r.map((x) => x.taskId).join(','));
    expect(new Set(ids).size).toBe(1);
    expect(results.filter((r) => !r[0]!.replayed)).toHaveLength(1);
    expect((await tableCounts(db(), me.tenantId))['TaskQueue']).toBe(20);
  });

  it('takes a plan of 500 tasks in one chain (the limit), ordering it with Kahn passes', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    const chain = Array.from({ length: 500 }, (_, i) => ({ key: `n${i}`, title: `step ${i}`, dependsOn: i ? [`n${i - 1}`] : [] }));
    const rows = await addTasks(db(), me, { projectId, tasks: chain });
    expect(rows).toHaveLength(500);
    expect(rows.filter((r) => r.status === 'ready').map((r) => r.taskKey)).toEqual(['n0']);
  });

  /**
   * Every refusal: error 50400 (or 50404/50409) naming the problem, through the typed function
   * (zod refuses first where it can) and through a raw engine call (the procedure's own check),
   * and nothing written either way.
   */
  interface Refusal {
    name: string;
    tasks: unknown;
    /** The procedure's message (raw call). */
    message: string;
    /** What the typed call's message contains; omitted when zod lets it through to the procedure. */
    zod?: string;
    number?: number;
  }
  const long = (n: number) => 'x'.repeat(n);
  const refusals: Refusal[] = [
    { name: 'not an array', tasks: { key: 'a', title: 'A' }, message: 'tasks must be a JSON array of task objects', zod: 'tasks' },
    { name: 'a number', tasks: 42, message: 'tasks must be a JSON array of task objects', zod: 'tasks' },
    { name: 'empty array', tasks: [], message: 'tasks is empty: a plan needs at least one task', zod: 'tasks' },
    { name: '501 tasks', tasks: Array.from({ length: 501 }, (_, i) => ({ key: `k${i}`, title: 't' })), message: 'a plan holds at most 500 tasks (501 given)', zod: 'tasks' },
    { name: 'element not an object', tasks: [{ key: 'a', title: 'A' }, 'b'], message: 'task 2 is not a JSON object', zod: 'tasks.1' },
    { name: 'unknown field', tasks: [{ key: 'a', title: 'A', depends_on: ['x'] }], message: 'task 1 has an unknown field "depends_on"', zod: 'depends_on' },
    { name: 'missing key', tasks: [{ title: 'A' }], message: 'task 1 key is empty', zod: 'tasks.0.key' },
    { name: 'empty key', tasks: [{ key: '', title: 'A' }], message: 'task 1 key is empty', zod: 'tasks.0.key' },
    { name: 'key not a string', tasks: [{ key: 7, title: 'A' }], message: 'task 1 key must be a string', zod: 'tasks.0.key' },
    { name: 'key too long', tasks: [{ key: 'a', title: 'A' }, { key: long(101), title: 'B' }], message: 'task 2 key is longer than 100 characters (101 given)', zod: 'tasks.1.key' },
    { name: 'key with spaces', tasks: [{ key: ' a', title: 'A' }], message: 'task 1 key must not begin or end with a space', zod: 'tasks.0.key' },
    { name: 'missing title', tasks: [{ key: 'a' }], message: 'task 1 title is empty', zod: 'tasks.0.title' },
    { name: 'title too long', tasks: [{ key: 'a', title: long(201) }], message: 'task 1 title is longer than 200 characters (201 given)', zod: 'tasks.0.title' },
    { name: 'description too long', tasks: [{ key: 'a', title: 'A', description: long(20001) }], message: 'task 1 description is longer than 20000 characters (20001 given)', zod: 'tasks.0.description' },
    { name: 'unknown type', tasks: [{ key: 'a', title: 'A', type: 'poetry' }], message: 'task 1 type "poetry" is not one of general, research, planning, coding, review, testing, docs, admin', zod: 'tasks.0.type' },
    { name: 'phase too long', tasks: [{ key: 'a', title: 'A', phase: long(101) }], message: 'task 1 phase is longer than 100 characters (101 given)', zod: 'tasks.0.phase' },
    { name: 'fractional priority', tasks: [{ key: 'a', title: 'A', priority: 1.5 }], message: 'task 1 priority must be a whole number', zod: 'tasks.0.priority' },
    { name: 'priority as text', tasks: [{ key: 'a', title: 'A', priority: 'high' }], message: 'task 1 priority must be a whole number', zod: 'tasks.0.priority' },
    { name: 'capabilities not an array', tasks: [{ key: 'a', title: 'A', capabilities: 'coding' }], message: 'task 1 capabilities must be an array of capability names', zod: 'tasks.0.capabilities' },
    { name: 'capability too long', tasks: [{ key: 'a', title: 'A', capabilities: ['ok', long(51)] }], message: 'task 1 capabilities must be names of 1 to 50 characters', zod: 'tasks.0.capabilities.1' },
    { name: 'empty capability', tasks: [{ key: 'a', title: 'A', capabilities: [''] }], message: 'task 1 capabilities must be names of 1 to 50 characters', zod: 'tasks.0.capabilities.0' },
    { name: 'dependsOn not an array', tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: 'a' }], message: 'task 2 dependsOn must be an array of task keys', zod: 'tasks.1.dependsOn' },
    { name: 'dependsOn element not a key', tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: [1] }], message: 'task 2 dependsOn must list task keys of 1 to 100 characters', zod: 'tasks.1.dependsOn.0' },
    { name: 'bad notBefore', tasks: [{ key: 'a', title: 'A', notBefore: 'tomorrow' }], message: 'task 1 notBefore must be an ISO 8601 time with an offset', zod: 'tasks.0.notBefore' },
    { name: 'notBefore without offset', tasks: [{ key: 'a', title: 'A', notBefore: '2030-01-01T00:00:00' }], message: 'task 1 notBefore must be an ISO 8601 time with an offset', zod: 'tasks.0.notBefore' },
    { name: 'impossible date', tasks: [{ key: 'a', title: 'A', notBefore: '2030-02-30T00:00:00Z' }], message: 'task 1 notBefore must be an ISO 8601 time with an offset', zod: 'tasks.0.notBefore' },
    { name: 'maxAttempts 0', tasks: [{ key: 'a', title: 'A', maxAttempts: 0 }], message: 'task 1 maxAttempts must be a whole number from 1 to 100', zod: 'tasks.0.maxAttempts' },
    { name: 'maxAttempts 101', tasks: [{ key: 'a', title: 'A', maxAttempts: 101 }], message: 'task 1 maxAttempts must be a whole number from 1 to 100', zod: 'tasks.0.maxAttempts' },
    { name: 'unknown complexity', tasks: [{ key: 'a', title: 'A', complexity: 'epic' }], message: 'task 1 complexity "epic" is not one of low, medium, high', zod: 'tasks.0.complexity' },
    { name: 'requiresReview not a boolean', tasks: [{ key: 'a', title: 'A', requiresReview: 'yes' }], message: 'task 1 requiresReview must be true or false', zod: 'tasks.0.requiresReview' },
    { name: 'duplicate key (case-insensitive)', tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B' }, { key: 'A', title: 'A again' }], message: 'task 3 key "A" is already used by task 1', zod: 'is already used by task 1' },
    { name: 'self-dependency', tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a', 'B'] }], message: 'task 2 ("b") depends on itself', zod: 'depends on itself' },
    // Cycles and unknown keys need the project: zod lets them through, the procedure refuses.
    { name: '3-cycle (the task behind it is not named)', tasks: [
      { key: 'start', title: 'S' }, { key: 'x', title: 'X', dependsOn: ['start', 'z'] }, { key: 'y', title: 'Y', dependsOn: ['x'] },
      { key: 'z', title: 'Z', dependsOn: ['y'] }, { key: 'after', title: 'After', dependsOn: ['z'] },
    ], message: 'the plan has a dependency cycle among 3 tasks: "x", "y", "z"' },
    { name: '2-cycle', tasks: [{ key: 'p', title: 'P', dependsOn: ['q'] }, { key: 'q', title: 'Q', dependsOn: ['p'] }], message: 'the plan has a dependency cycle among 2 tasks: "p", "q"' },
    { name: 'unknown dependency key', tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a', 'nope'] }], message: 'task 2 ("b") depends on unknown key "nope": no task of this plan or of project' },
    { name: 'key already in the project', tasks: [{ key: 'new', title: 'N' }, { key: 'EXISTING', title: 'E' }], message: 'task 2 key "EXISTING" is already used in project' },
  ];

  for (const r of refusals) {
    it(`refuses ${r.name}, writing nothing`, async () => {
      const me = someone();
      const projectId = await newProject(db(), me);
      await addPlan(db(), me, projectId, [{ key: 'existing', title: 'Existing' }]);
      const before = await tableCounts(db(), me.tenantId);
      const number = r.number ?? 50400;

      await expect(raw(me, { projectId, tasks: r.tasks, idempotencyKey: 'k' })).rejects.toMatchObject({ number, message: expect.stringContaining(r.message) });
      await expect(addTasks(db(), me, { projectId, tasks: r.tasks, idempotencyKey: 'k' }))
        .rejects.toMatchObject({ number, message: expect.stringContaining(r.zod ?? r.message) });
      expect(await tableCounts(db(), me.tenantId)).toEqual(before);
    });
  }

  it('refuses an unknown project or another tenant\'s project with 50404, and a project that is not active with 50409', async () => {
    const me = someone();
    const stranger = someone();
    const theirs = await newProject(db(), stranger);
    const closed = await seedProject(db(), me.tenantId, unique('closed'), 'completed');
    const before = await tableCounts(db(), me.tenantId);
    const tasks = [{ key: 'a', title: 'A' }];
    await expect(addTasks(db(), me, { projectId: 987654321, tasks })).rejects.toMatchObject({ number: 50404, message: 'project 987654321 not found' });
    await expect(addTasks(db(), me, { projectId: theirs, tasks })).rejects.toMatchObject({ number: 50404, message: `project ${theirs} not found` });
    await expect(addTasks(db(), me, { projectId: closed, tasks, idempotencyKey: 'k' })).rejects.toMatchObject({ number: 50409, message: `project ${closed} is completed, not active` });
    await expect(raw(me, { projectId: null, tasks })).rejects.toMatchObject({ number: 50400, message: 'project id is empty' });
    await expect(raw(me, { projectId: closed, tasks, idempotencyKey: '' })).rejects.toMatchObject({ number: 50400, message: 'idempotency key is empty' });
    expect(await tableCounts(db(), me.tenantId)).toEqual(before);
  });

  it('refuses a dependency on a cancelled task with 50409 (it could never run), writing nothing', async () => {
    const me = someone();
    const projectId = await newProject(db(), me);
    await seedTask(db(), me.tenantId, projectId, { key: 'gone', status: 'cancelled' });
    const before = await tableCounts(db(), me.tenantId);
    await expect(addTasks(db(), me, { projectId, tasks: [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a', 'Gone'] }] }))
      .rejects.toMatchObject({ number: 50409, message: 'task 2 ("b") depends on task "gone", which is cancelled' });
    expect(await tableCounts(db(), me.tenantId)).toEqual(before);
  });
});

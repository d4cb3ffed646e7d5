import type { Engine } from '../../db/types.js';
import type { Identity } from '../../db/call.js';
import { pascalToSnake } from '../../db/names.js';
import type { PlanTaskInput } from '../../codegen/json-shapes.js';
import { addTasks, createProject } from '../../generated/index.js';
import { unique } from './identity.js';

/**
 * Helpers that build state through the real procedures (CreateProject, AddTasks), for contract
 * tests of the procedures that come after: claim, complete, fail, review, cancel.
 */

/** One task of a plan, as AddTasks takes it: { key, title, dependsOn?, capabilities?, priority?, ... }. */
export type PlanTask = PlanTaskInput;

/** Creates an active project with a unique name; returns its id. */
export async function newProject(db: Engine, identity: Identity, name = unique('project')): Promise<number> {
  const rows = await createProject(db, identity, { projectName: name });
  return rows[0]!.projectId!;
}

/**
 * Creates a project and adds `tasks` to it in one AddTasks call. Returns the project id and the
 * task id of each key, e.g. `const { projectId, taskIds } = await createProjectWithPlan(db(), admin,
 * [{ key: 'a', title: 'A' }, { key: 'b', title: 'B', dependsOn: ['a'] }]); taskIds['b']`.
 */
export async function createProjectWithPlan(
  db: Engine,
  identity: Identity,
  tasks: PlanTask[],
): Promise<{ projectId: number; taskIds: Record<string, number> }> {
  const projectId = await newProject(db, identity);
  const taskIds = await addPlan(db, identity, projectId, tasks);
  return { projectId, taskIds };
}

/** Adds tasks to an existing project; returns key -> task id. */
export async function addPlan(db: Engine, identity: Identity, projectId: number, tasks: PlanTask[]): Promise<Record<string, number>> {
  const rows = await addTasks(db, identity, { projectId, tasks });
  return Object.fromEntries(rows.map((r) => [r.taskKey!, r.taskId!]));
}

/** The coordination tables whose row counts `tableCounts` reports. */
const COUNTED_TABLES = [
  'WorkSessions', 'PlanSubmissions', 'TaskQueue', 'TaskDependencies', 'TaskRequiredCapabilities', 'TaskEvents',
  'UsageRecords', 'InterWorkerMessages', 'ModelInstances', 'WorkerPool',
] as const;

/**
 * Row counts of the coordination tables for one tenant, to assert that a refusal wrote nothing:
 * `const before = await tableCounts(db(), tenant); ...refused call...; expect(await tableCounts(db(), tenant)).toEqual(before)`.
 * Table names come from the fixed list above, never from input.
 */
export async function tableCounts(db: Engine, tenantId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of COUNTED_TABLES) {
    const text = db.kind === 'mssql'
      ? `SELECT COUNT(*) AS n FROM mmos.${t} WHERE TenantId = @p1`
      : `SELECT count(*)::int AS n FROM mmos.${pascalToSnake(t)} WHERE tenant_id = $1`;
    const rows = await db.query(text, [tenantId]);
    out[t] = Number(rows[0]!['n']);
  }
  return out;
}

/** Every column of the tenant's tasks, ordered by id, to assert that a refusal changed no task. */
export async function taskRows(db: Engine, tenantId: string): Promise<Record<string, unknown>[]> {
  const text = db.kind === 'mssql'
    ? 'SELECT * FROM mmos.TaskQueue WHERE TenantId = @p1 ORDER BY TaskId'
    : 'SELECT * FROM mmos.task_queue WHERE tenant_id = $1 ORDER BY task_id';
  return db.query(text, [tenantId]);
}

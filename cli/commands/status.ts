import {
  getProjectStatus,
  listProjects,
  listWorkers,
  type GetProjectStatusRow,
  type ListProjectsRow,
  type ListWorkersRow,
} from '../../generated/index.js';
import type { Command } from '../command.js';
import { stringOption } from '../command.js';
import { DATABASE_HELP, DATABASE_OPTIONS, cliIdentity, databaseTarget, withEngine } from '../database.js';
import { UsageError } from '../errors.js';
import { renderTable, type Column } from '../table.js';

const percent = (v: number | null) => (v == null ? undefined : `${v}%`);

function truncate(v: string | null, max: number): string | null {
  return v && v.length > max ? `${v.slice(0, max - 1)}…` : v;
}

/** The columns worth a terminal line, in this order. */
const WORKER_COLUMNS: Column<ListWorkersRow>[] = [
  { header: 'WORKER', value: (r) => r.workerId },
  { header: 'NAME', value: (r) => r.instanceName },
  { header: 'TYPE', value: (r) => r.modelType },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'RUNNING', value: (r) => `${r.runningTasks ?? 0}/${r.workerCapacity ?? '?'}`, align: 'right' },
  { header: 'DONE', value: (r) => r.tasksCompleted, align: 'right' },
  { header: 'FAILED', value: (r) => r.tasksFailed, align: 'right' },
  { header: 'TIER', value: (r) => r.qualityTier, align: 'right' },
  { header: 'HEARTBEAT', value: (r) => (r.secondsSinceHeartbeat == null ? undefined : `${r.secondsSinceHeartbeat}s ago`), align: 'right' },
  { header: 'CAPABILITIES', value: (r) => r.capabilities },
];

const PROJECT_COLUMNS: Column<ListProjectsRow>[] = [
  { header: 'PROJECT', value: (r) => r.projectId, align: 'right' },
  { header: 'NAME', value: (r) => truncate(r.projectName, 40) },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'PRIORITY', value: (r) => r.priority, align: 'right' },
  { header: 'TASKS', value: (r) => r.taskCount, align: 'right' },
  { header: 'DONE', value: (r) => r.doneCount, align: 'right' },
  { header: 'PROGRESS', value: (r) => percent(r.progressPercent), align: 'right' },
  { header: 'BUDGET USD', value: (r) => r.budgetUsd, align: 'right' },
  { header: 'CREATED', value: (r) => r.createdAt },
];

const TASK_COLUMNS: Column<GetProjectStatusRow>[] = [
  { header: 'TASK', value: (r) => r.taskId, align: 'right' },
  { header: 'KEY', value: (r) => r.taskKey },
  { header: 'TITLE', value: (r) => truncate(r.title, 48) },
  { header: 'PHASE', value: (r) => r.phase },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'WORKER', value: (r) => r.workerId },
  { header: 'ATTEMPTS', value: (r) => `${r.attempts ?? 0}/${r.maxAttempts ?? '?'}`, align: 'right' },
  { header: 'PROGRESS', value: (r) => percent(r.progressPercent), align: 'right' },
  { header: 'WAITING FOR', value: (r) => r.blockedReason ?? (Number(r.unmetDependencies) > 0 ? `${r.unmetDependencies} dependencies` : undefined) },
];

export const statusCommand: Command = {
  name: 'status',
  summary: 'projects and workers at a glance (or one project with --project)',
  usage: '[--url URL] [--data DIR] [--project ID]',
  help: [
    DATABASE_HELP,
    '  --project ID  one project: its summary and its tasks',
    '',
    'Reads through the same procedures the agents use (list_projects, list_workers,',
    'get_project_status), as the local admin: tenant $MMOS_TENANT or default, caller mmos-cli.',
    'With the embedded engine, run it while the hub is stopped.',
  ].join('\n'),
  options: { ...DATABASE_OPTIONS, project: { type: 'string' } },
  async run(ctx) {
    const projectArg = stringOption(ctx.values, 'project');
    let projectId: number | undefined;
    if (projectArg !== undefined) {
      if (!/^\d+$/.test(projectArg)) throw new UsageError(`--project must be a project id (a whole number), got '${projectArg}'`);
      projectId = Number(projectArg);
    }
    const identity = { ...cliIdentity(ctx.env), role: 'admin' as const };
    const asAdmin = { role: 'admin' as const };
    const text = await withEngine(databaseTarget(ctx), { deployEmbedded: true, log: ctx.log }, async (engine) => {
      if (projectId !== undefined) return projectText(projectId, await getProjectStatus(engine, identity, { projectId }, asAdmin));
      const projects = await listProjects(engine, identity, {}, asAdmin);
      const workers = await listWorkers(engine, identity, {}, asAdmin);
      return [section('Projects', projects, PROJECT_COLUMNS, 'no projects yet'), section('Workers', workers, WORKER_COLUMNS, 'no workers registered yet')].join('\n\n');
    });
    ctx.out(text);
    return 0;
  },
};

function section<R>(title: string, rows: readonly R[], columns: readonly Column<R>[], empty: string): string {
  return `${title}\n${rows.length ? renderTable(rows, columns) : `(${empty})`}`;
}

/** get_project_status repeats the project's figures on every task row: a summary, then the tasks. */
function projectText(projectId: number, rows: readonly GetProjectStatusRow[]): string {
  const p = rows[0];
  if (!p) return `Project ${projectId}\n(nothing to show)`;
  const counts = (
    [
      ['blocked', p.blockedCount],
      ['ready', p.readyCount],
      ['running', p.runningCount],
      ['review', p.reviewCount],
      ['done', p.doneCount],
      ['failed', p.failedCount],
      ['cancelled', p.cancelledCount],
    ] as const
  )
    .map(([name, n]) => `${n ?? 0} ${name}`)
    .join(', ');
  const title = [
    `Project ${projectId}: ${p.projectName ?? ''} (${p.projectStatus ?? '?'}), ${p.projectProgressPercent ?? 0}% done${p.currentPhase ? `, phase ${p.currentPhase}` : ''}`,
    `${p.taskCount ?? 0} tasks: ${counts}`,
  ].join('\n');
  const tasks = rows.filter((r) => r.taskId != null);
  return `${title}\n${tasks.length ? renderTable(tasks, TASK_COLUMNS) : '(no tasks yet)'}`;
}

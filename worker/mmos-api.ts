import type { ToolCaller } from './tool-caller.js';
import type { ClaimedTask, DependencyResult, InboxMessage } from './prompt.js';

/**
 * The MMOS tools the worker uses, with their argument and result names in one place. Tool names
 * are the snake_case procedure names; arguments and result columns are camelCase
 * (generated/procedures/*.ts). Identity (tenant, worker id) is never an argument: the server fills it.
 */

export interface Registration {
  instanceName: string;
  modelType: string;
  modelName?: string | null;
  capabilities: string[];
  workerCapacity: number;
  qualityTier: number;
  inputUsdPerMillionTokens: number;
  outputUsdPerMillionTokens: number;
}

export interface RegisteredWorker {
  workerId: string | null;
  status: string | null;
  workerCapacity: number | null;
}

export interface TaskUsage {
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  model: string | null;
}

type Row = Record<string, unknown>;

/** FailTask keeps up to 4000 characters of error text. */
export const MAX_ERROR_CHARS = 4000;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === null || v === undefined ? null : String(v));
const int = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

function parseJsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return null;
  }
}

/** Dependency results arrive as JSON (an array of {taskId, taskKey, title, result}); tolerate text. */
export function normalizeDependencyResults(v: unknown): DependencyResult[] {
  const parsed = parseJsonish(v);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((d): d is Row => !!d && typeof d === 'object')
    .map((d) => ({
      taskId: int(d['taskId'] ?? d['TaskId'] ?? d['task_id']),
      taskKey: str(d['taskKey'] ?? d['TaskKey'] ?? d['task_key']),
      title: str(d['title'] ?? d['Title']),
      result: str(d['result'] ?? d['Result']),
    }));
}

export function normalizeClaim(row: Row): ClaimedTask {
  const taskId = int(row['taskId']);
  const leaseToken = str(row['leaseToken']);
  if (taskId === null || !leaseToken) throw new Error(`claim_next_task returned a row without taskId/leaseToken: ${JSON.stringify(row).slice(0, 300)}`);
  return {
    taskId,
    taskKey: str(row['taskKey']),
    projectId: int(row['projectId']),
    projectName: str(row['projectName']),
    title: str(row['title']) ?? `task ${taskId}`,
    description: str(row['description']),
    taskType: str(row['taskType']),
    leaseToken,
    attempts: int(row['attempts']),
    maxAttempts: int(row['maxAttempts']),
    reviewFeedback: str(row['reviewFeedback']),
    dependencyResults: normalizeDependencyResults(row['dependencyResults']),
  };
}

function withoutNulls(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
}

export class MmosApi {
  constructor(readonly caller: ToolCaller) {}

  async register(reg: Registration): Promise<RegisteredWorker> {
    const rows = await this.caller.call<Row>('register_worker', withoutNulls({ ...reg }));
    const r = rows[0] ?? {};
    return { workerId: str(r['workerId']), status: str(r['status']), workerCapacity: int(r['workerCapacity']) };
  }

  /** The next task this worker may run, or null when none is claimable now. */
  async claimNext(leaseSeconds: number): Promise<ClaimedTask | null> {
    const rows = await this.caller.call<Row>('claim_next_task', { leaseSeconds });
    const row = rows[0];
    return row && row['taskId'] !== null && row['taskId'] !== undefined ? normalizeClaim(row) : null;
  }

  /** Renews the lease (the progress call extends it by leaseSeconds). */
  async reportProgress(task: ClaimedTask, note: string, leaseSeconds: number, progressPercent?: number): Promise<void> {
    await this.caller.call('report_progress', withoutNulls({ taskId: task.taskId, leaseToken: task.leaseToken, progressPercent, note, leaseSeconds }));
  }

  async complete(task: ClaimedTask, result: string, usage: TaskUsage): Promise<Row | undefined> {
    const rows = await this.caller.call<Row>(
      'complete_task',
      withoutNulls({ taskId: task.taskId, leaseToken: task.leaseToken, result, tokensIn: usage.tokensIn, tokensOut: usage.tokensOut, costUsd: usage.costUsd }),
    );
    return rows[0];
  }

  /** Usage is passed when the agent reported some before failing (claude prices even a failed run). */
  async fail(task: ClaimedTask, error: string, usage?: TaskUsage): Promise<Row | undefined> {
    const rows = await this.caller.call<Row>(
      'fail_task',
      withoutNulls({ taskId: task.taskId, leaseToken: task.leaseToken, error: error.slice(0, MAX_ERROR_CHARS), tokensIn: usage?.tokensIn, tokensOut: usage?.tokensOut, costUsd: usage?.costUsd }),
    );
    return rows[0];
  }

  async release(task: ClaimedTask, reason: string): Promise<void> {
    await this.caller.call('release_task', { taskId: task.taskId, leaseToken: task.leaseToken, reason });
  }

  async readMessages(maxMessages = 50): Promise<(InboxMessage & { projectId: number | null })[]> {
    const rows = await this.caller.call<Row>('read_messages', { maxMessages });
    return rows.map((r) => ({
      messageId: int(r['messageId']),
      fromId: str(r['fromId']),
      messageType: str(r['messageType']),
      content: str(r['content']) ?? '',
      projectId: int(r['projectId']),
    }));
  }

  async heartbeat(): Promise<{ status: string | null; unreadMessages: number | null }> {
    const rows = await this.caller.call<Row>('heartbeat', {});
    const r = rows[0] ?? {};
    return { status: str(r['status']), unreadMessages: int(r['unreadMessages']) };
  }

  async unregister(): Promise<{ releasedTasks: number | null }> {
    const rows = await this.caller.call<Row>('unregister_worker', {});
    return { releasedTasks: int(rows[0]?.['releasedTasks']) };
  }
}

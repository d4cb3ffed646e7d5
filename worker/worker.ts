import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runAgentProcess, type RunResult } from './agent-process.js';
import { MmosApi, type Registration } from './mmos-api.js';
import { AgentOutputError, buildInvocation, type AgentOutput, type Preset } from './presets.js';
import { buildPrompt, type ClaimedTask, type InboxMessage } from './prompt.js';
import { ToolCallError, type ToolCaller } from './tool-caller.js';

export interface WorkerOptions {
  caller: ToolCaller;
  registration: Registration;
  preset: Preset;
  /** Command template (see presets.ts): {prompt}, {prompt_file}, {workspace}. */
  commandTemplate: string;
  /** Each task runs in <workspaceRoot>/<taskKey or task-<id>>/. */
  workspaceRoot: string;
  leaseSeconds: number;
  taskTimeoutSeconds: number;
  /** SIGTERM -> SIGKILL delay when an agent is stopped. */
  killGraceMs: number;
  /** On stop: how long running tasks may still finish before they are killed and released. */
  shutdownGraceMs: number;
  heartbeatMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  /** Environment of the agent processes (task variables are added). */
  agentEnv: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export const DEFAULT_TIMINGS = {
  leaseSeconds: 300,
  taskTimeoutSeconds: 1800,
  killGraceMs: 5000,
  shutdownGraceMs: 10_000,
  heartbeatMs: 30_000,
  pollMinMs: 500,
  pollMaxMs: 5000,
} as const;

/** Largest result the database keeps (docs/conventions.md#limits). */
export const MAX_RESULT_CHARS = 100_000;
const STDERR_TAIL_CHARS = 2000;

interface RunningTask {
  task: ClaimedTask;
  abort: AbortController;
  done: Promise<void>;
}

/** Lease loss: another worker may own the task now, so this one must neither finish nor fail it. */
function isLeaseLost(err: unknown): boolean {
  return err instanceof ToolCallError && (err.number === 50412 || err.number === 50409 || err.number === 50404);
}

/** Folder name for a task: its key made filesystem-safe, or task-<id>. */
export function taskFolderName(task: Pick<ClaimedTask, 'taskId' | 'taskKey'>): string {
  const key = task.taskKey?.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100);
  return key ? key : `task-${task.taskId}`;
}

export function clipResult(text: string): string {
  if (text.length <= MAX_RESULT_CHARS) return text;
  const note = `\n[result cut to ${MAX_RESULT_CHARS} characters]`;
  return text.slice(0, MAX_RESULT_CHARS - note.length) + note;
}

/** The fail_task text for a run that did not succeed. */
export function describeFailure(r: RunResult, timeoutSeconds: number): string {
  if (r.spawnError) return `could not start the agent: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${timeoutSeconds} s${r.stderrTail.trim() ? `\n--- stderr (last ${STDERR_TAIL_CHARS} chars) ---\n${r.stderrTail.slice(-STDERR_TAIL_CHARS)}` : ''}`;
  const how = r.exitCode !== null ? `agent exited with code ${r.exitCode}` : `agent was killed by ${r.exitSignal ?? 'a signal'}`;
  const tail = r.stderrTail.trim() ? `\n--- stderr (last ${STDERR_TAIL_CHARS} chars) ---\n${r.stderrTail.slice(-STDERR_TAIL_CHARS)}` : '';
  return how + tail;
}

/**
 * A headless MMOS worker: registers, claims tasks while it has room (up to its capacity), runs the
 * agent CLI for each in its own workspace, renews leases with progress reports, and reports the
 * outcome. All decisions about which task it gets are the procedures'; this loop only asks.
 */
export class Worker {
  readonly api: MmosApi;
  private readonly running = new Map<number, RunningTask>();
  private stopping = false;
  private draining = false;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private lastHeartbeat = 0;
  /** Messages read but meant for a project none of the running tasks belongs to yet. */
  private inbox: (InboxMessage & { projectId: number | null })[] = [];
  /** Counters for logs and tests. */
  readonly stats = { claimed: 0, completed: 0, failed: 0, released: 0, leaseLost: 0 };

  constructor(private readonly opts: WorkerOptions) {
    this.api = new MmosApi(opts.caller);
  }

  get runningTaskIds(): number[] {
    return [...this.running.keys()];
  }

  /** Registers and starts the loop; resolves once registered (the loop keeps running). */
  async start(): Promise<{ workerId: string | null }> {
    const reg = await this.api.register(this.opts.registration);
    this.lastHeartbeat = Date.now();
    this.opts.log(`registered as ${reg.workerId ?? '?'} (${this.opts.registration.instanceName}), capacity ${this.opts.registration.workerCapacity}, preset ${this.opts.preset.name}`);
    this.loopDone = this.loop();
    return { workerId: reg.workerId };
  }

  /** Resolves when the worker has stopped (after stop(), or after a drain finished). */
  async finished(): Promise<void> {
    await this.loopDone;
    await this.stopped;
  }

  /**
   * Graceful stop: no more claims; running tasks get shutdownGraceMs to finish; the rest are
   * killed and released (back to ready, attempt not counted); then the worker unregisters
   * (offline) and the connection closes. Safe to call twice; `now` skips the grace period.
   */
  stop(options: { now?: boolean } = {}): Promise<void> {
    if (options.now) for (const r of this.running.values()) r.abort.abort('shutdown');
    if (this.stopped) return this.stopped;
    this.stopping = true;
    this.wake();
    this.stopped = this.shutdown(options.now === true);
    return this.stopped;
  }

  private async shutdown(now: boolean): Promise<void> {
    await this.loopDone;
    if (this.running.size) {
      if (!now) {
        this.opts.log(`stopping: waiting up to ${Math.round(this.opts.shutdownGraceMs / 1000)} s for ${this.running.size} running task(s)`);
        await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), sleep(this.opts.shutdownGraceMs)]);
      }
      for (const r of this.running.values()) r.abort.abort('shutdown');
      await Promise.all([...this.running.values()].map((r) => r.done));
    }
    try {
      const u = await this.api.unregister();
      this.opts.log(`unregistered (offline)${u.releasedTasks ? `, ${u.releasedTasks} task(s) released` : ''}`);
    } catch (err) {
      this.opts.log(`unregister failed: ${errorText(err)}`);
    }
    await this.opts.caller.close().catch(() => {});
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    let delay = this.opts.pollMinMs;
    while (!this.stopping) {
      if (this.draining && this.running.size === 0) {
        this.opts.log('drained: no running tasks left, stopping');
        void this.stop();
        break;
      }
      let claimed = false;
      if (!this.draining && this.running.size < this.opts.registration.workerCapacity) {
        try {
          const task = await this.api.claimNext(this.opts.leaseSeconds);
          if (task) {
            claimed = true;
            if (this.stopping) await this.releaseQuietly(task, 'worker is stopping');
            else this.startTask(task);
          }
        } catch (err) {
          await this.onClaimError(err);
        }
      }
      if (claimed) {
        delay = this.opts.pollMinMs;
        continue;
      }
      await this.heartbeatIfDue();
      if (this.stopping) break;
      const full = this.running.size >= this.opts.registration.workerCapacity || this.draining;
      const untilHeartbeat = Math.max(0, this.lastHeartbeat + this.opts.heartbeatMs - Date.now());
      await this.idle(Math.min(full ? this.opts.pollMaxMs : delay, untilHeartbeat || this.opts.heartbeatMs));
      if (!full) delay = Math.min(this.opts.pollMaxMs, delay * 2);
    }
  }

  private async onClaimError(err: unknown): Promise<void> {
    if (err instanceof ToolCallError && err.number === 50409) {
      // Draining, or marked offline by the sweep: the heartbeat says which (and revives an offline worker).
      const hb = await this.api.heartbeat().catch(() => null);
      this.lastHeartbeat = Date.now();
      if (hb?.status === 'draining') this.enterDrain();
      return;
    }
    this.opts.log(`claim failed: ${errorText(err)}`);
  }

  private enterDrain(): void {
    if (this.draining) return;
    this.draining = true;
    this.opts.log(`worker is draining: finishing ${this.running.size} running task(s), claiming no more`);
  }

  private async heartbeatIfDue(): Promise<void> {
    if (Date.now() - this.lastHeartbeat < this.opts.heartbeatMs) return;
    this.lastHeartbeat = Date.now();
    try {
      const hb = await this.api.heartbeat();
      if (hb.status === 'draining') this.enterDrain();
    } catch (err) {
      this.opts.log(`heartbeat failed: ${errorText(err)}`);
    }
  }

  private startTask(task: ClaimedTask): void {
    this.stats.claimed++;
    const abort = new AbortController();
    const entry: RunningTask = { task, abort, done: Promise.resolve() };
    entry.done = this.runTask(task, abort)
      .catch((err) => this.opts.log(`task ${task.taskId}: worker error: ${errorText(err)}`))
      .finally(() => {
        this.running.delete(task.taskId);
        this.wake();
      });
    this.running.set(task.taskId, entry);
  }

  /** Unread messages for this task's project (and tenant-wide ones); others wait in the inbox. */
  private async messagesFor(task: ClaimedTask): Promise<InboxMessage[]> {
    try {
      for (let round = 0; round < 10; round++) {
        const batch = await this.api.readMessages(100);
        this.inbox.push(...batch);
        if (batch.length < 100) break;
      }
    } catch (err) {
      this.opts.log(`task ${task.taskId}: could not read messages: ${errorText(err)}`);
    }
    const mine = this.inbox.filter((m) => m.projectId === null || m.projectId === task.projectId);
    this.inbox = this.inbox.filter((m) => !mine.includes(m));
    return mine;
  }

  private async runTask(task: ClaimedTask, abort: AbortController): Promise<void> {
    const o = this.opts;
    const label = `task ${task.taskId}${task.taskKey ? ` (${task.taskKey})` : ''}`;
    o.log(`${label}: claimed "${task.title}"${task.attempts && task.attempts > 1 ? `, attempt ${task.attempts}` : ''}`);
    const workspace = path.resolve(o.workspaceRoot, taskFolderName(task));
    await mkdir(workspace, { recursive: true });
    const prompt = buildPrompt(task, await this.messagesFor(task));
    const promptFile = path.join(workspace, '.mmos-task.md');
    await writeFile(promptFile, prompt, 'utf8');

    // Progress every leaseSeconds/3 renews the lease; losing it means someone else may own the task.
    let leaseLost = false;
    const started = Date.now();
    const progress = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      this.api.reportProgress(task, `agent running for ${secs} s`, o.leaseSeconds).catch((err) => {
        if (isLeaseLost(err)) {
          leaseLost = true;
          o.log(`${label}: lease lost (${errorText(err)}); stopping the agent`);
          abort.abort('lease lost');
        } else o.log(`${label}: progress report failed: ${errorText(err)}`);
      });
    }, Math.max(1000, (o.leaseSeconds * 1000) / 3));

    let run: RunResult;
    try {
      const invocation = buildInvocation(o.commandTemplate, { prompt, promptFile, workspace });
      run = await runAgentProcess(invocation, {
        cwd: workspace,
        env: {
          ...o.agentEnv,
          MMOS_TASK_ID: String(task.taskId),
          MMOS_TASK_KEY: task.taskKey ?? '',
          MMOS_PROJECT_ID: task.projectId === null ? '' : String(task.projectId),
          MMOS_ATTEMPT: task.attempts === null ? '' : String(task.attempts),
          MMOS_WORKSPACE: workspace,
          MMOS_PROMPT_FILE: promptFile,
        },
        timeoutMs: o.taskTimeoutSeconds * 1000,
        killGraceMs: o.killGraceMs,
        signal: abort.signal,
        stderrTailChars: STDERR_TAIL_CHARS,
      });
    } finally {
      clearInterval(progress);
    }

    if (leaseLost) {
      this.stats.leaseLost++;
      return;
    }
    if (run.aborted) {
      await this.releaseQuietly(task, 'worker stopped before the task finished');
      return;
    }
    if (run.spawnError || run.timedOut || run.exitCode !== 0) {
      await this.reportFailure(task, label, describeFailure(run, o.taskTimeoutSeconds));
      return;
    }
    let parsed;
    try {
      parsed = o.preset.parse(run.stdout);
    } catch (err) {
      const why = err instanceof AgentOutputError ? err.message : errorText(err);
      await this.reportFailure(task, label, `could not read the agent's answer: ${why}`);
      return;
    }
    if (parsed.isError) {
      await this.reportFailure(task, label, `the agent reported an error: ${parsed.result}`, parsed);
      return;
    }
    // CompleteTask requires a result; an agent that only changed files may print nothing.
    const result = parsed.result.trim() ? parsed.result : '(the agent finished without printing a result)';
    try {
      await this.api.complete(task, clipResult(result), parsed);
      this.stats.completed++;
      const cost = parsed.costUsd !== null ? `, $${parsed.costUsd}` : '';
      o.log(`${label}: done in ${Math.round(run.durationMs / 1000)} s (tokens ${parsed.tokensIn ?? '?'}/${parsed.tokensOut ?? '?'}${cost})`);
    } catch (err) {
      if (isLeaseLost(err)) this.stats.leaseLost++;
      o.log(`${label}: complete_task refused: ${errorText(err)}`);
    }
  }

  private async reportFailure(task: ClaimedTask, label: string, message: string, usage?: AgentOutput): Promise<void> {
    this.opts.log(`${label}: failed: ${message.split('\n')[0]}`);
    try {
      await this.api.fail(task, message, usage);
      this.stats.failed++;
    } catch (err) {
      if (isLeaseLost(err)) this.stats.leaseLost++;
      this.opts.log(`${label}: fail_task refused: ${errorText(err)}`);
    }
  }

  private async releaseQuietly(task: ClaimedTask, reason: string): Promise<void> {
    try {
      await this.api.release(task, reason);
      this.stats.released++;
      this.opts.log(`task ${task.taskId}: released (${reason})`);
    } catch (err) {
      this.opts.log(`task ${task.taskId}: release failed: ${errorText(err)}`);
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof ToolCallError) return err.number !== null ? `error ${err.number} (${err.kind}): ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

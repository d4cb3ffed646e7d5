import { spawn } from 'node:child_process';
import type { Invocation } from './presets.js';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL when the run is stopped (timeout or abort). */
  killGraceMs: number;
  /** Aborting stops the run the same way a timeout does; the result says which happened. */
  signal?: AbortSignal;
  /** Largest stdout kept (the answer); more is cut off. */
  maxStdoutBytes?: number;
  /** How much of stderr's tail is kept for the failure message. */
  stderrTailChars?: number;
}

export interface RunResult {
  exitCode: number | null;
  /** The signal that ended the process, when one did. */
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stdoutTruncated: boolean;
  stderrTail: string;
  timedOut: boolean;
  aborted: boolean;
  /** The program could not be started (not found, not executable). */
  spawnError: string | null;
  durationMs: number;
}

/** Sends a signal to the whole process group the agent leads, so its children stop too. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Runs one agent process in its own process group (detached), feeding the prompt on stdin when the
 * invocation asks for it. On timeout or abort: SIGTERM to the group, SIGKILL after the grace
 * period. Resolves when the process has exited and its pipes are drained (or shortly after exit if
 * a grandchild keeps a pipe open); never rejects.
 */
export function runAgentProcess(inv: Invocation, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const maxStdout = opts.maxStdoutBytes ?? 10 * 1024 * 1024;
  const tailChars = opts.stderrTailChars ?? 2000;
  return new Promise((resolve) => {
    let stdout = '';
    let stdoutBytes = 0;
    let stdoutTruncated = false;
    let stderrTail = '';
    let timedOut = false;
    let aborted = false;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let spawnError: string | null = null;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(inv.command, inv.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, exitSignal, stdout, stdoutTruncated, stderrTail, timedOut, aborted, spawnError, durationMs: Date.now() - started });
    };

    const stop = () => {
      killGroup(child.pid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child.pid, 'SIGKILL'), opts.killGraceMs));
    };
    const onAbort = () => {
      if (settled || timedOut || aborted) return;
      aborted = true;
      stop();
    };

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdoutTruncated) return;
      const bytes = Buffer.byteLength(chunk);
      if (stdoutBytes + bytes > maxStdout) {
        stdoutTruncated = true;
        stdout += chunk.slice(0, Math.max(0, maxStdout - stdoutBytes));
        return;
      }
      stdoutBytes += bytes;
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-tailChars);
    });
    // An agent that exits without reading its stdin makes our write fail with EPIPE: not an error.
    child.stdin.on('error', () => {});
    if (inv.stdin !== null) child.stdin.end(inv.stdin);
    else child.stdin.end();

    child.on('error', (err) => {
      spawnError = err.message;
      finish();
    });
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // A grandchild may hold stdout open; do not wait for it forever, and do not leave it running.
      timers.push(
        setTimeout(() => {
          killGroup(child.pid, 'SIGKILL');
          finish();
        }, 2000),
      );
    });
    child.on('close', () => finish());

    timers.push(
      setTimeout(() => {
        if (settled || aborted) return;
        timedOut = true;
        stop();
      }, opts.timeoutMs),
    );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort);
  });
}

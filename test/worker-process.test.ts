import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { running } from './support/processes.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgentProcess, type RunOptions } from '../worker/agent-process.js';
import { buildInvocation, parseClaudeOutput } from '../worker/presets.js';

/** The agent runner against the fake agent, a real child process: no database involved. */
const FAKE = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));
const template = `"${process.execPath}" "${FAKE}"`;
const dirs: string[] = [];
function workspace(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mmos-proc-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function opts(cwd: string, extra: Partial<RunOptions> = {}): RunOptions {
  return { cwd, env: { ...process.env, MMOS_TASK_KEY: 'k1' }, timeoutMs: 20_000, killGraceMs: 500, ...extra };
}


async function waitDead(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !running(pid);
}

describe('running an agent process', () => {
  it('feeds the prompt on stdin and returns the JSON answer', async () => {
    const cwd = workspace();
    const inv = buildInvocation(template, { prompt: 'Task with DONE(a) before it', promptFile: 'x', workspace: cwd });
    const r = await runAgentProcess(inv, opts(cwd));
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, aborted: false, spawnError: null });
    const out = parseClaudeOutput(r.stdout);
    expect(out.result).toBe('DONE(k1) after DONE(a)');
    expect(out.tokensIn).toBeGreaterThan(0);
    expect(out.costUsd).toBeGreaterThan(0);
  });

  it('reports a crash with its exit code and stderr', async () => {
    const cwd = workspace();
    const r = await runAgentProcess(buildInvocation(template, { prompt: '[fake:crash]', promptFile: 'x', workspace: cwd }), opts(cwd));
    expect(r.exitCode).toBe(2);
    expect(r.stderrTail).toContain('fake agent crashed on k1');
  });

  it('keeps only the stderr tail', async () => {
    const cwd = workspace();
    const inv = { command: process.execPath, args: ['-e', 'process.stderr.write("a".repeat(5000) + "END"); process.exit(3)'], stdin: null };
    const r = await runAgentProcess(inv, opts(cwd, { stderrTailChars: 100 }));
    expect(r.exitCode).toBe(3);
    expect(r.stderrTail.length).toBe(100);
    expect(r.stderrTail.endsWith('END')).toBe(true);
  });

  it('kills a hanging agent and its child at the timeout (whole process group)', async () => {
    const cwd = workspace();
    const started = Date.now();
    const r = await runAgentProcess(buildInvocation(template, { prompt: '[fake:hang]', promptFile: 'x', workspace: cwd }), opts(cwd, { timeoutMs: 5000 }));
    expect(r.timedOut).toBe(true);
    expect(r.exitSignal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(15_000);
    const [agentPid, childPid] = readFileSync(path.join(cwd, 'fake-pids'), 'utf8').trim().split('\n').map(Number);
    expect(await waitDead(agentPid!)).toBe(true);
    expect(await waitDead(childPid!)).toBe(true);
  });

  it('escalates to SIGKILL when the agent ignores SIGTERM', async () => {
    const cwd = workspace();
    const r = await runAgentProcess(buildInvocation(template, { prompt: '[fake:hang-hard]', promptFile: 'x', workspace: cwd }), opts(cwd, { timeoutMs: 5000, killGraceMs: 700 }));
    expect(r.timedOut).toBe(true);
    expect(r.exitSignal).toBe('SIGKILL');
    expect(r.stderrTail).toContain('ignores SIGTERM');
  });

  it('stops on abort and says so', async () => {
    const cwd = workspace();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runAgentProcess(buildInvocation(template, { prompt: '[fake:slow=20000]', promptFile: 'x', workspace: cwd }), opts(cwd, { signal: ac.signal }));
    expect(r).toMatchObject({ aborted: true, timedOut: false, exitSignal: 'SIGTERM' });
  });

  it('reports a program that cannot start', async () => {
    const cwd = workspace();
    const r = await runAgentProcess({ command: 'mmos-no-such-agent-cli', args: [], stdin: 'x' }, opts(cwd));
    expect(r.spawnError).toMatch(/ENOENT/);
    expect(r.exitCode).toBeNull();
  });
});

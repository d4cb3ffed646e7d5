import { describe, expect, it } from 'vitest';
import type { GetProjectStatusRow } from '../generated/index.js';
import { clip, LiveView } from '../demo/live-view.js';
import { PLAN } from '../demo/plan.js';
import { runMmos } from './cli-support.js';

/**
 * `mmos demo` as a person runs it, with stdout not a terminal (so the live view prints one line per
 * change): the real hub, admin, workers and scripted agents in one child process.
 */
describe('mmos demo', { timeout: 150_000 }, () => {
  it('runs Scenario 3 to the end: every task done, a retry, an approved review, a cost report with a saving, exit 0', async () => {
    const r = await runMmos(['demo']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = r.stdout;

    // The final status table: every task of the plan is done, logging after two attempts.
    const table = out.slice(out.indexOf('Project: REST API System (completed), 100% done, 7/7 tasks done'));
    expect(table.length).toBeLessThan(out.length);
    const taskLines = table.split('\n\n')[0]!.split('\n').slice(3);
    expect(taskLines).toHaveLength(PLAN.length);
    for (const t of PLAN) expect(taskLines.find((l) => l.startsWith(`${t.key} `)), t.key).toMatch(/ done +\S+ +\d\/3$/);
    expect(taskLines.find((l) => l.startsWith('logging '))).toMatch(/ 2\/3$/);
    // Routing decided by assign_ready_tasks (the demo's call or the hub's sweeper, whichever came
    // first; the demo reads the decision from the task events): planning goes to the cheap model.
    expect(out).toMatch(/api-design: routed to Gemini-Worker \(gemini-2\.5-flash\): cheapest eligible/);
    expect(taskLines.find((l) => l.startsWith('api-design '))).toContain('Gemini-Worker');
    // Every task's way to its worker is explained: a routing decision or an idle worker's claim.
    for (const t of PLAN) expect(out, t.key).toMatch(new RegExp(`\\] ${t.key}: (routed to|claimed by) \\S+-Worker`));

    // The live view's lines: the scripted failure, its retry, the review and its approval.
    expect(out).toMatch(/logging +\w+ -> retry_wait/); // the view polls: under load it may not see 'running'
    expect(out).toMatch(/logging: attempt failed on Claude-Worker-\d \(agent exited with code 1\)/);
    // The view polls, so the state it saw before may be any earlier one; the attempt count is not.
    expect(out).toMatch(/logging +\w+ -> (running +Claude-Worker-\d +attempt 2\/3|done +Claude-Worker-\d)/);
    expect(out).toMatch(/e2e-tests +\w+ -> review +Claude-Worker-\d/);
    expect(out).toContain('e2e-tests: review approved by AdminClaude');
    expect(out).toMatch(/e2e-tests +review -> done/);
    expect(out.indexOf('e2e-tests: review approved')).toBeLessThan(out.search(/e2e-tests +review -> done/));

    // The cost report, with a saving against running everything on the premium model.
    expect(out).toContain('Cost report (get_cost_report)');
    expect(out).toMatch(/^claude-sonnet-4-5 +Claude-Worker-1,Claude-Worker-2 /m);
    expect(out).toMatch(/^gemini-2\.5-flash +Gemini-Worker /m);
    const saving = /^Saving: \$([\d.]+) of \$([\d.]+) \(([\d.]+)%\)/m.exec(out);
    expect(saving, out).not.toBeNull();
    expect(Number(saving![1])).toBeGreaterThan(0);
    expect(Number(saving![3])).toBeGreaterThan(0);
    expect(Number(saving![3])).toBeLessThan(100);

    expect(out).toMatch(/^All 7 tasks done in [\d.]+ s; workers stopped \(offline\), hub closed\.$/m);
    expect(out).toMatch(/^hub was listening on http:\/\/127\.0\.0\.1:\d+ .*dashboard: none yet$/m);
    expect(out).not.toContain('\x1b['); // not a terminal: no cursor movement, no colours
    expect(r.stderr).not.toMatch(/FAILED|error/i);
  });

  it('fails with exit 1 and the reason, instead of hanging, when an agent crashes beyond the scripted failure', async () => {
    const r = await runMmos(['demo'], { env: { MMOS_DEMO_CRASH: 'docs' } });
    expect(r.code, r.stdout).toBe(1);
    // Which failure comes last (the scripted one of logging or the crash of docs) and which worker
    // takes docs depend on timing; that the crash is named is what counts.
    expect(r.stderr).toMatch(/mmos demo: FAILED: 2 task attempts failed, only 1 scripted failure expected; last: /);
    expect(r.stderr).toMatch(/-Worker-?\d*: task \d+ \(docs\): failed: agent exited with code 139/);
    expect(r.stdout).not.toContain('All 7 tasks done');
  });
});

describe('the live view on a terminal', () => {
  const row = (key: string, status: string, extra: Partial<GetProjectStatusRow> = {}): GetProjectStatusRow =>
    ({ taskId: key.length, taskKey: key, title: `Task ${key} with a rather long title`, phase: 'Phase 1', status, workerId: 'Claude-Worker-1', attempts: 1, maxAttempts: 3, projectName: 'P', taskCount: 2, doneCount: 0, ...extra }) as GetProjectStatusRow;

  it('redraws one block in place, cut to the terminal width, and prints nothing when nothing changed', () => {
    const chunks: string[] = [];
    const view = new LiveView({ out: (t) => chunks.push(t), tty: true, color: true, columns: 40, startedAt: Date.now() });
    view.update([row('a', 'ready'), row('bb', 'blocked')]);
    expect(chunks).toHaveLength(1);
    const firstLines = chunks[0]!.split('\n').length;
    view.update([row('a', 'ready'), row('bb', 'blocked')]);
    expect(chunks).toHaveLength(1);
    view.update([row('a', 'running'), row('bb', 'blocked')]);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]!.startsWith(`\x1b[${firstLines}A\x1b[0J`)).toBe(true);
    expect(chunks[1]).toContain('running');
    const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    for (const line of chunks[1]!.split('\n')) expect(visible(line).length).toBeLessThanOrEqual(39);
  });

  it('clip keeps colour codes and cuts only visible characters', () => {
    expect(clip('\x1b[32mabcdef\x1b[0m', 3)).toBe('\x1b[32mabc\x1b[0m');
    expect(clip('abc', 10)).toBe('abc');
  });
});

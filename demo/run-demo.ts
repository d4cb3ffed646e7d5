import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GetCostReportRow, GetProjectStatusRow, GetTaskHistoryRow } from '../generated/index.js';
import { startHub, type Hub } from '../mcp/hub.js';
import type { Logger } from '../mcp/log.js';
import { createToken } from '../mcp/tokens.js';
import type { WorkerConfig } from '../worker/config.js';
import { MmosApi } from '../worker/mmos-api.js';
import { PRESETS } from '../worker/presets.js';
import { startWorker } from '../worker/run.js';
import { connectHttp, type ToolCaller } from '../worker/tool-caller.js';
import type { Worker } from '../worker/worker.js';
import { costReportText } from './cost-report.js';
import { LiveView } from './live-view.js';
import { ADMIN_ID, FAIL_ONCE_KEYS, PLAN, PROJECT_NAME, PROJECT_REQUEST, TENANT_ID, WORKERS, type DemoWorker } from './plan.js';
import { planTable, statusTable, teamTable } from './report.js';

/**
 * `mmos demo`: the whole flow in one process, on an in-memory embedded database. The hub serves
 * MCP on 127.0.0.1; the admin and the workers are real MCP clients of it with their own tokens;
 * the workers are the real headless worker running a scripted agent CLI. Nothing here decides who
 * gets a task: the procedures do, as in production.
 */
export interface DemoOptions {
  out: (text: string) => void;
  log: (text: string) => void;
  tty: boolean;
  color: boolean;
  /** Terminal width, for the live view. */
  columns?: number;
  /** The demo fails (exit 1) when it has not finished by then. */
  timeoutMs?: number;
}

const SCRIPTED_AGENT = fileURLToPath(new URL('./scripted-agent.mjs', import.meta.url));
const POLL_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  hub?: Hub;
  admin?: ToolCaller;
  workers: { name: string; worker: Worker }[];
  workspace?: string;
  stopping: boolean;
  /** Worker log lines that mean something went wrong beyond the scripted failure. */
  problems: string[];
  recentLog: string[];
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const started = Date.now();
  const r: Running = { workers: [], stopping: false, problems: [], recentLog: [] };
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = o.timeoutMs ?? 90_000;
  try {
    const timedOut = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`the demo did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    await Promise.race([flow(o, r, started), timedOut]);
    return 0;
  } catch (err) {
    o.log(`mmos demo: FAILED: ${(err as Error).message}`);
    if (r.recentLog.length) o.log(`last worker log lines:\n${r.recentLog.map((l) => `  ${l}`).join('\n')}`);
    await cleanup(r, true).catch((e: unknown) => o.log(`mmos demo: cleanup failed: ${(e as Error).message}`));
    return 1;
  } finally {
    clearTimeout(timer);
  }
}

async function flow(o: DemoOptions, r: Running, started: number): Promise<void> {
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  o.out(`MMOS demo: "${PROJECT_REQUEST}" (Scenario 3 of the original notes)`);
  o.out('Embedded engine in memory, hub on 127.0.0.1, scripted agents standing in for Claude and Gemini: no API key, no network.\n');

  r.hub = await startHub({ dataDir: 'memory', host: '127.0.0.1', port: 0, sweepIntervalSeconds: 1, logger: hubLogger(o, r) });
  const hub = r.hub;
  o.out(`hub listening on ${hub.url} (MCP ${hub.mcpUrl}), schema deployed in ${secs()}`);

  const adminToken = await createToken(hub.engine, { tenantId: TENANT_ID, agentId: ADMIN_ID, role: 'admin', createdBy: 'mmos-demo' });
  r.admin = await connectHttp(hub.mcpUrl, adminToken.token, 'mmos-demo-admin');
  const admin = r.admin;

  // The workers register (come online) first, so the admin's first routing pass sees the whole
  // team; their claim loops start once the plan is routed.
  r.workspace = await mkdtemp(path.join(tmpdir(), 'mmos-demo-'));
  const team: { w: DemoWorker; token: string; caller: ToolCaller }[] = [];
  for (const w of WORKERS) {
    const { token } = await createToken(hub.engine, { tenantId: TENANT_ID, agentId: w.registration.instanceName, role: 'worker', label: 'mmos demo', createdBy: ADMIN_ID });
    const caller = await connectHttp(hub.mcpUrl, token, 'mmos-worker');
    team.push({ w, token, caller });
    await new MmosApi(caller).register(w.registration);
  }
  o.out(`\nWorkers, online (each an MCP client of the hub with its own token):\n${teamTable(WORKERS)}\n`);

  const project = (await admin.call<{ projectId: number }>('create_project', { projectName: PROJECT_NAME, description: PROJECT_REQUEST }))[0]!;
  await admin.call('add_tasks', { projectId: project.projectId, tasks: PLAN, idempotencyKey: 'scenario-3' });
  o.out(`${ADMIN_ID} created project ${project.projectId} "${PROJECT_NAME}" and submitted the plan in one add_tasks call:\n${planTable(PLAN)}\n`);

  const view = new LiveView({ out: o.out, tty: o.tty, color: o.color, columns: o.columns, startedAt: Date.now() });
  // The hub's sweeper runs the same routing pass every second, so either caller may route a task
  // first; the report reads the decisions from the task events, which record them whoever routed.
  const route = () => admin.call('assign_ready_tasks', { projectId: project.projectId });
  const routing = new RoutingReport(admin, view);
  await route();
  for (const t of team) r.workers.push({ name: t.w.registration.instanceName, worker: await startDemoWorker(hub, t.w, t.token, t.caller, r) });

  const reviewed = new Set<number>();
  let rows: GetProjectStatusRow[] = [];
  for (;;) {
    rows = (await admin.call<GetProjectStatusRow>('get_project_status', { projectId: project.projectId })).filter((t) => t.taskId != null);
    await routing.report(rows);
    view.update(rows);
    checkHealth(r, rows);
    await route();
    for (const t of rows.filter((x) => x.status === 'review' && !reviewed.has(x.taskId!))) {
      reviewed.add(t.taskId!);
      await admin.call('review_task', { taskId: t.taskId, approve: true, feedback: 'Reviewed the end-to-end results: approved.' });
      view.note(`${t.taskKey}: review approved by ${ADMIN_ID} (done by ${t.workerId ?? '?'})`);
    }
    for (const line of r.problems.splice(0)) view.note(line);
    if (rows.length && rows.every((t) => t.status === 'done')) break;
    await sleep(POLL_MS);
  }
  view.finish();
  const elapsed = secs();

  o.out(`\n${statusTable(rows)}\n`);
  const cost = await admin.call<GetCostReportRow>('get_cost_report', { projectId: project.projectId });
  o.out(`${costReportText(cost)}\n`);
  const hubUrl = hub.url;
  await cleanup(r, false);
  o.out(`All ${rows.length} tasks done in ${elapsed}; workers stopped (offline), hub closed.`);
  o.out(`hub was listening on ${hubUrl} (MCP ${hubUrl}/mcp); dashboard: none yet`);
}

/**
 * Prints each routing decision ('assigned' event: worker and reason) once, for tasks whose status
 * or worker changed since the last poll; a claim always follows its routing event, so none is missed.
 */
class RoutingReport {
  private readonly seen = new Map<number, { state: string; lastEventId: number }>();
  private readonly modelOf = new Map(WORKERS.map((w) => [w.registration.instanceName, w.registration.modelName]));

  constructor(private readonly admin: ToolCaller, private readonly view: LiveView) {}

  async report(rows: readonly GetProjectStatusRow[]): Promise<void> {
    for (const t of rows) {
      const state = `${t.status}/${t.workerId ?? ''}`;
      const before = this.seen.get(t.taskId!) ?? { state: '', lastEventId: 0 };
      if (before.state === state || t.status === 'blocked') continue;
      let lastEventId = before.lastEventId;
      let routedSinceLastClaim = false;
      for (const e of await this.admin.call<GetTaskHistoryRow>('get_task_history', { taskId: t.taskId })) {
        const fresh = (e.eventId ?? 0) > before.lastEventId;
        lastEventId = Math.max(lastEventId, e.eventId ?? 0);
        const m = e.eventType === 'assigned' ? /^assigned to (\S+): (.*)$/s.exec(e.detail ?? '') : null;
        if (m) routedSinceLastClaim = true;
        if (m && fresh) this.view.note(`${t.taskKey}: routed to ${m[1]} (${this.modelOf.get(m[1]!) ?? '?'}): ${m[2]}`);
        if (e.eventType !== 'claimed') continue;
        // ClaimNextTask lets an idle worker take an eligible task no routing pass has reached yet.
        if (fresh && !routedSinceLastClaim) this.view.note(`${t.taskKey}: claimed by ${e.actor} before a routing pass reached it (idle worker, eligible)`);
        routedSinceLastClaim = false;
      }
      this.seen.set(t.taskId!, { state, lastEventId });
    }
  }
}

/** Anything but the scripted failure ends the demo with a clear message instead of a hang. */
function checkHealth(r: Running, rows: readonly GetProjectStatusRow[]): void {
  const broken = rows.find((t) => t.status === 'dead' || t.status === 'cancelled');
  if (broken) throw new Error(`task ${broken.taskKey} ended ${broken.status}${broken.blockedReason ? ` (${broken.blockedReason})` : ''}`);
  const failures = r.workers.reduce((n, w) => n + w.worker.stats.failed + w.worker.stats.leaseLost, 0);
  if (failures > FAIL_ONCE_KEYS.length) {
    const last = r.recentLog.filter((l) => / failed: /.test(l)).pop();
    throw new Error(`${failures} task attempts failed, only ${FAIL_ONCE_KEYS.length} scripted failure expected${last ? `; last: ${last}` : ''}`);
  }
  const fatal = r.recentLog.find((l) => /worker error|refused|claim failed|could not|unregistered|drained/.test(l));
  if (fatal) throw new Error(`a worker reported: ${fatal}`);
}

async function startDemoWorker(hub: Hub, w: DemoWorker, token: string, caller: ToolCaller, r: Running): Promise<Worker> {
  const name = w.registration.instanceName;
  const node = `"${process.execPath}" "${SCRIPTED_AGENT}"`;
  const config: WorkerConfig = {
    connection: { kind: 'http', url: hub.mcpUrl, token },
    registration: w.registration,
    workerId: null,
    preset: PRESETS[w.preset],
    commandTemplate: w.preset === 'gemini' ? `${node} --as gemini -p {prompt} -o json` : `${node} --as claude`,
    workspaceRoot: path.join(r.workspace!, name),
    // Short settings so the demo runs in seconds; the defaults suit real agents that run for minutes.
    leaseSeconds: 15,
    taskTimeoutSeconds: 30,
    killGraceMs: 1000,
    shutdownGraceMs: 2000,
    heartbeatMs: 2000,
    pollMinMs: 100,
    pollMaxMs: 300,
  };
  const log = (line: string) => {
    const tagged = `${name}: ${line}`;
    r.recentLog.push(tagged);
    r.recentLog.splice(0, Math.max(0, r.recentLog.length - 20));
    // The scripted failure is news for the view; everything else stays quiet unless the demo fails.
    const failed = /^task \d+ \(([^)]+)\): failed: (.*)$/.exec(line);
    if (failed && !r.stopping) r.problems.push(`${failed[1]}: attempt failed on ${name} (${failed[2]}); retried after the back-off`);
  };
  const agentEnv = { ...process.env, MMOS_DEMO_FAIL_ONCE: FAIL_ONCE_KEYS.join(',') };
  const worker = await startWorker(config, { log, agentEnv, caller });
  void worker.finished().then(() => {
    if (!r.stopping) r.recentLog.push(`${name}: worker stopped unexpectedly (unregistered)`);
  });
  return worker;
}

function hubLogger(o: DemoOptions, r: Running): Logger {
  return {
    info: () => {},
    warn: (m) => r.recentLog.push(`hub: ${m}`),
    error: (m, err) => {
      const line = `hub error: ${m}${err ? `: ${(err as Error).message ?? String(err)}` : ''}`;
      r.recentLog.push(line);
      o.log(line);
    },
  };
}

/** Stops workers (release + offline), the admin client and the hub; bounded so it cannot hang. */
async function cleanup(r: Running, now: boolean): Promise<void> {
  r.stopping = true;
  const work = (async () => {
    await Promise.all(r.workers.map((w) => w.worker.stop({ now }).catch(() => {})));
    await r.admin?.close().catch(() => {});
    await r.hub?.close();
    if (r.workspace) await rm(r.workspace, { recursive: true, force: true });
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error('stopping the workers and the hub took longer than 10 s')), 10_000);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

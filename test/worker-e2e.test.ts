import { spawn, type ChildProcess } from 'node:child_process';
import { running as processRunning } from './support/processes.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../db/call.js';
import { deploy } from '../db/deploy.js';
import { openEngine } from '../db/open.js';
import type { Engine } from '../db/types.js';
import { addTasks, createProject, drainWorker, sendMessage } from '../generated/index.js';
import { startHub, type Hub } from '../mcp/hub.js';
import { createToken } from '../mcp/tokens.js';
import { workerConfigFromFlags, type FlagValues } from '../worker/config.js';
import { startWorker } from '../worker/run.js';
import { connectHttp } from '../worker/tool-caller.js';
import type { Worker } from '../worker/worker.js';
import { unique } from './support/identity.js';

/**
 * The worker end to end: real hub or stdio server, real procedures, real agent processes (the fake
 * agent answers like `claude -p --output-format json`). Each test uses its own tenant, so a worker
 * of one test never claims another test's tasks.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FAKE_AGENT = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));
const MMOS_BIN = path.join(ROOT, 'bin', 'mmos.mjs');
const AGENT = `"${process.execPath}" "${FAKE_AGENT}"`;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

const tmpDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}


interface TaskRow {
  taskId: number;
  taskKey: string;
  status: string;
  attempts: number;
  result: string | null;
  lastError: string | null;
  workerId: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

async function tasksOf(engine: Engine, projectId: number): Promise<Record<string, TaskRow>> {
  const rows = await engine.query(
    `SELECT t.task_id AS "taskId", t.task_key AS "taskKey", t.status, t.attempts, t.result, t.last_error AS "lastError",
            mi.worker_id AS "workerId", t.started_at AS "startedAt", t.completed_at AS "completedAt"
       FROM mmos.task_queue AS t LEFT JOIN mmos.model_instances AS mi ON mi.instance_id = t.claimed_by_instance_id
      WHERE t.project_id = $1`,
    [projectId],
  );
  return Object.fromEntries(rows.map((r) => [r['taskKey'] as string, { ...(r as unknown as TaskRow), taskId: Number(r['taskId']), attempts: Number(r['attempts']) }]));
}

async function eventsOf(engine: Engine, taskId: number): Promise<{ eventType: string; actor: string; detail: string | null }[]> {
  return (await engine.query('SELECT event_type AS "eventType", actor, detail FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id', [taskId])) as never;
}

async function workerStatus(engine: Engine, tenantId: string, workerId: string): Promise<string | undefined> {
  const rows = await engine.query(
    'SELECT wp.status FROM mmos.worker_pool AS wp JOIN mmos.model_instances AS mi ON mi.instance_id = wp.instance_id WHERE mi.tenant_id = $1 AND mi.worker_id = $2',
    [tenantId, workerId],
  );
  return rows[0]?.['status'] as string | undefined;
}

/** A project with a plan, created by the admin of the tenant. */
async function project(engine: Engine, tenantId: string, tasks: Record<string, unknown>[]): Promise<number> {
  const admin: Identity = { tenantId, callerId: 'AdminClaude', role: 'admin' };
  const p = (await createProject(engine, admin, { projectName: unique('worker-e2e') }, { role: 'admin' }))[0]!;
  await addTasks(engine, admin, { projectId: p.projectId!, tasks }, { role: 'admin' });
  return p.projectId!;
}

function flags(extra: FlagValues): FlagValues {
  return { agent: AGENT, preset: 'claude', 'grace-seconds': '1', 'heartbeat-seconds': '2', ...extra };
}

function collectingLog(lines: string[]) {
  return (l: string) => lines.push(l);
}

describe('mmos worker over the HTTP hub [PGlite]', () => {
  let hub: Hub;
  const running: Worker[] = [];

  beforeAll(async () => {
    hub = await startHub({ dataDir: 'memory', port: 0, sweepIntervalSeconds: 1, logger: quiet });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(running.map((w) => w.stop({ now: true }).catch(() => {})));
    await hub?.close();
  });

  async function httpWorker(tenantId: string, workerId: string, extra: FlagValues = {}, log: string[] = []): Promise<Worker> {
    const { token } = await createToken(hub.engine, { tenantId, agentId: workerId, role: 'worker' });
    const config = workerConfigFromFlags(flags({ hub: hub.mcpUrl, token, name: workerId, workspace: tempDir('mmos-ws-'), ...extra }), {});
    const caller = await connectHttp(hub.mcpUrl, token);
    const worker = await startWorker(config, { log: collectingLog(log), caller, agentEnv: process.env });
    running.push(worker);
    return worker;
  }

  /** `mmos worker` as a child process, so a test can SIGKILL or SIGTERM it. */
  async function childWorker(tenantId: string, workerId: string, extra: string[] = []): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    const { token } = await createToken(hub.engine, { tenantId, agentId: workerId, role: 'worker' });
    const child = spawn(
      process.execPath,
      [MMOS_BIN, 'worker', '--hub', hub.mcpUrl, '--token', token, '--name', workerId, '--agent', AGENT, '--preset', 'claude', '--workspace', tempDir('mmos-ws-'), ...extra],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, output: () => out, exited };
  }

  it('completes a small project end to end: dependency results and messages reach the prompt, usage and cost are recorded, tasks run side by side', async () => {
    const tenant = unique('t-e2e');
    const projectId = await project(hub.engine, tenant, [
      { key: 'design', title: 'Design the API' },
      { key: 'server', title: 'Build the server', description: '[fake:slow=1500]', dependsOn: ['design'], type: 'coding' },
      { key: 'client', title: 'Build the client', description: '[fake:slow=1500]', dependsOn: ['design'], type: 'coding' },
      { key: 'docs', title: 'Write the docs', dependsOn: ['server', 'client'], type: 'docs' },
    ]);
    // A broadcast to the project reaches the first task's prompt (the fake echoes DONE markers).
    await sendMessage(hub.engine, { tenantId: tenant, callerId: 'AdminClaude', role: 'admin' }, { projectId, content: 'Use port 8080. DONE(note)' }, { role: 'admin' });
    const log: string[] = [];
    const worker = await httpWorker(tenant, 'e2e-w1', { capacity: '2' }, log);

    const tasks = await waitFor('all four tasks done', async () => {
      const t = await tasksOf(hub.engine, projectId);
      return Object.values(t).every((x) => x.status === 'done') && t;
    });
    expect(tasks['design']!.result).toBe('DONE(design) after DONE(note)');
    expect(tasks['server']!.result).toBe('DONE(server) after DONE(design) DONE(note)');
    expect(tasks['docs']!.result).toMatch(/^DONE\(docs\) after /);
    for (const marker of ['DONE(server)', 'DONE(client)', 'DONE(design)']) expect(tasks['docs']!.result).toContain(marker);
    expect(Object.values(tasks).every((t) => t.workerId === 'e2e-w1' && t.attempts === 1)).toBe(true);
    // Capacity 2: server and client overlapped in time.
    const [s, c] = [tasks['server']!, tasks['client']!];
    expect(new Date(s.startedAt!) < new Date(c.completedAt!) && new Date(c.startedAt!) < new Date(s.completedAt!)).toBe(true);

    const usage = await hub.engine.query(
      'SELECT t.task_key AS "taskKey", u.tokens_in AS "tokensIn", u.tokens_out AS "tokensOut", u.cost_usd AS "costUsd", u.cost_source AS "costSource" FROM mmos.usage_records AS u JOIN mmos.task_queue AS t ON t.task_id = u.task_id WHERE u.project_id = $1',
      [projectId],
    );
    expect(usage).toHaveLength(4);
    for (const u of usage) {
      expect(Number(u['tokensIn'])).toBeGreaterThan(0);
      expect(Number(u['tokensOut'])).toBeGreaterThan(0);
      expect(Number(u['costUsd'])).toBeGreaterThan(0);
      expect(u['costSource']).toBe('reported');
    }
    const status = await hub.engine.query('SELECT status FROM mmos.work_sessions WHERE project_id = $1', [projectId]);
    expect(status[0]!['status']).toBe('completed');

    await worker.stop();
    expect(worker.stats).toMatchObject({ claimed: 4, completed: 4, failed: 0 });
    expect(await workerStatus(hub.engine, tenant, 'e2e-w1')).toBe('offline');
    expect(log.some((l) => l.startsWith('registered as e2e-w1'))).toBe(true);
  }, 60_000);

  it('a crash is failed with its exit code and stderr, and the retry completes the task', async () => {
    const tenant = unique('t-crash');
    const projectId = await project(hub.engine, tenant, [{ key: 'flaky', title: 'Flaky task', description: '[fake:crash-once]', maxAttempts: 3 }]);
    const worker = await httpWorker(tenant, 'crash-w1');
    const t = await waitFor('the retried task done', async () => {
      const x = (await tasksOf(hub.engine, projectId))['flaky']!;
      return x.status === 'done' && x;
    }, 40_000);
    expect(t.attempts).toBe(2);
    expect(t.result).toBe('DONE(flaky)');
    const events = await eventsOf(hub.engine, t.taskId);
    const failed = events.find((e) => e.eventType === 'retry_scheduled');
    expect(failed?.detail).toContain('agent exited with code 2');
    expect(failed?.detail).toContain('fake agent crashed once on flaky');
    expect(events.map((e) => e.eventType)).toContain('retry_promoted');
    await worker.stop();
    expect(worker.stats).toMatchObject({ failed: 1, completed: 1 });
  }, 60_000);

  it('a hanging agent is killed at the timeout (with its children) and the task is failed', async () => {
    const tenant = unique('t-hang');
    const projectId = await project(hub.engine, tenant, [{ key: 'stuck', title: 'Never ends', description: '[fake:hang]', maxAttempts: 1 }]);
    const workspace = tempDir('mmos-ws-');
    const worker = await httpWorker(tenant, 'hang-w1', { 'timeout-seconds': '5', workspace });
    const t = await waitFor('the hanging task dead', async () => {
      const x = (await tasksOf(hub.engine, projectId))['stuck']!;
      return x.status === 'dead' && x;
    }, 30_000);
    expect(t.lastError).toMatch(/^timed out after 5 s/);
    expect(t.lastError).toContain('fake agent is hanging');
    const pids = readFileSync(path.join(workspace, 'stuck', 'fake-pids'), 'utf8').trim().split('\n').map(Number);
    await waitFor('agent and its child gone', async () => pids.every((p) => !processRunning(p)), 5000);
    await worker.stop();
  }, 60_000);

  it('a worker killed mid-task: after the lease expires another worker does the task', async () => {
    const tenant = unique('t-kill');
    const projectId = await project(hub.engine, tenant, [{ key: 'long', title: 'Long task', description: '[fake:slow=2500]', maxAttempts: 3 }]);
    const first = await childWorker(tenant, 'kill-w1', ['--lease-seconds', '3']);
    try {
      await waitFor('the task running on kill-w1', async () => {
        const x = (await tasksOf(hub.engine, projectId))['long']!;
        return x.status === 'running' && x.workerId === 'kill-w1';
      }, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker output:\n${first.output()}`);
    }
    first.child.kill('SIGKILL');
    await first.exited;

    // Nobody renews the lease now: the hub's sweep takes the task back once it expires.
    const back = await waitFor('the lease to expire and the task to be ready', async () => {
      const x = (await tasksOf(hub.engine, projectId))['long']!;
      return x.status === 'ready' && x;
    }, 20_000);
    expect(back.attempts).toBe(1);
    const second = await httpWorker(tenant, 'kill-w2');
    const t = await waitFor('the task done by the second worker', async () => {
      const x = (await tasksOf(hub.engine, projectId))['long']!;
      return x.status === 'done' && x;
    }, 30_000);
    expect(t.workerId).toBe('kill-w2');
    expect(t.attempts).toBe(2);
    expect((await eventsOf(hub.engine, t.taskId)).map((e) => e.eventType)).toContain('lease_expired');
    await second.stop();
  }, 90_000);

  it('a drained worker finishes its running task, claims no more, and exits offline', async () => {
    const tenant = unique('t-drain');
    const projectId = await project(hub.engine, tenant, [
      { key: 'first', title: 'First', description: '[fake:slow=2500]', priority: 10 },
      { key: 'second', title: 'Second' },
    ]);
    const log: string[] = [];
    const worker = await httpWorker(tenant, 'drain-w1', { 'heartbeat-seconds': '1' }, log);
    await waitFor('the first task running', async () => (await tasksOf(hub.engine, projectId))['first']!.status === 'running', 20_000);
    await drainWorker(hub.engine, { tenantId: tenant, callerId: 'AdminClaude', role: 'admin' }, { workerId: 'drain-w1' }, { role: 'admin' });

    await Promise.race([worker.finished(), sleep(20_000).then(() => Promise.reject(new Error(`worker did not exit:\n${log.join('\n')}`)))]);
    const tasks = await tasksOf(hub.engine, projectId);
    expect(tasks['first']!.status).toBe('done');
    expect(tasks['second']!.status).toBe('ready');
    expect(await workerStatus(hub.engine, tenant, 'drain-w1')).toBe('offline');
    expect(log.some((l) => l.includes('draining'))).toBe(true);
  }, 60_000);

  it('SIGTERM releases running work: the task is ready again, the attempt not counted, the worker offline, the agent stopped', async () => {
    const tenant = unique('t-term');
    const projectId = await project(hub.engine, tenant, [{ key: 'slow', title: 'Slow task', description: '[fake:slow=60000]' }]);
    const w = await childWorker(tenant, 'term-w1', ['--grace-seconds', '1']);
    const workspaceArg = w.child.spawnargs[w.child.spawnargs.indexOf('--workspace') + 1]!;
    await waitFor('the task running', async () => (await tasksOf(hub.engine, projectId))['slow']!.status === 'running', 30_000);
    const pidFile = path.join(workspaceArg, 'slow', 'fake-pids');
    const agentPid = await waitFor('the agent pid', async () => Number(readFileSync(pidFile, 'utf8').trim()) || undefined, 10_000);

    w.child.kill('SIGTERM');
    const code = await Promise.race([w.exited, sleep(20_000).then(() => 'still running')]);
    expect(code, w.output()).toBe(0);

    const t = (await tasksOf(hub.engine, projectId))['slow']!;
    expect(t.status).toBe('ready');
    expect(t.attempts).toBe(0);
    expect(await workerStatus(hub.engine, tenant, 'term-w1')).toBe('offline');
    expect((await eventsOf(hub.engine, t.taskId)).map((e) => e.eventType)).toContain('released');
    expect(processRunning(agentPid)).toBe(false);
    expect(w.output()).toContain('released');
  }, 60_000);
});

// ---- stdio: every worker runs its own `mmos mcp`, so the database must be a server database ----

const PG_ADMIN_URL = process.env['MMOS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function tcpAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1500, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(u.port || 5432), u.hostname, () => done(true));
  });
}

const pgReachable = await tcpAnswers(PG_ADMIN_URL);
const describeStdio = pgReachable ? describe : describe.skip;
const stdioName = pgReachable
  ? 'mmos worker over stdio (mmos mcp) [PostgreSQL]'
  : `mmos worker over stdio (mmos mcp) [PostgreSQL] skipped: nothing answers at ${new URL(PG_ADMIN_URL).host} (set MMOS_TEST_PG_URL)`;

describeStdio(stdioName, () => {
  let engine: Engine;
  let dbUrl: string;
  let database: string;

  beforeAll(async () => {
    database = `mmos_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`); // name made above from hex digits only
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${database}`;
    dbUrl = u.toString();
    engine = await openEngine({ url: dbUrl });
    await deploy(engine);
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('completes a project through its own stdio server, then goes offline', async () => {
    const projectId = await project(engine, 'default', [
      { key: 'plan', title: 'Plan it' },
      { key: 'do', title: 'Do it', dependsOn: ['plan'] },
    ]);
    const log: string[] = [];
    const config = workerConfigFromFlags(flags({ url: dbUrl, id: 'stdio-w1', name: 'Stdio Worker 1', capacity: '2', workspace: tempDir('mmos-ws-') }), process.env);
    expect(config.connection.kind).toBe('stdio');
    const worker = await startWorker(config, { log: collectingLog(log), agentEnv: process.env });
    try {
      const tasks = await waitFor('both tasks done', async () => {
        const t = await tasksOf(engine, projectId);
        return Object.values(t).every((x) => x.status === 'done') && t;
      }, 60_000);
      expect(tasks['do']!.result).toBe('DONE(do) after DONE(plan)');
      expect(tasks['do']!.workerId).toBe('stdio-w1');
      const reg = await engine.query(
        'SELECT mi.instance_name AS "instanceName", wp.worker_capacity AS "workerCapacity" FROM mmos.model_instances AS mi JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id WHERE mi.worker_id = $1',
        ['stdio-w1'],
      );
      expect(reg[0]).toMatchObject({ instanceName: 'Stdio Worker 1', workerCapacity: 2 });
    } finally {
      await worker.stop();
    }
    expect(await workerStatus(engine, 'default', 'stdio-w1')).toBe('offline');
  }, 90_000);
});

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { toolTable } from '../generated/index.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import type { Engine } from '../db/types.js';
import { WorkerPresence } from '../mcp/worker-presence.js';
import { memoryLogger, REPO_ROOT, rowsOf, stdioClient, textOf } from './support/mcp.js';
import { unique } from './support/identity.js';
import { runTaskFlow } from './support/mcp-flow.js';

/**
 * The stdio server as an agent's .mcp.json starts it: a real process (node --import tsx
 * mcp/stdio-main.ts) driven by the MCP SDK client, identity from the environment, on the
 * embedded engine in a temporary folder. The embedded engine allows one process at a time, so
 * the admin and worker sessions of the flow run one after the other on the same folder.
 */
const dirs: string[] = [];
let template: string | undefined;
/** A fresh data folder, copied from one deployed once here, so each server's own deploy finds nothing to do. */
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mmos-stdio-'));
  dirs.push(d);
  if (template) cpSync(template, join(d, 'data'), { recursive: true });
  return join(d, 'data');
}
beforeAll(async () => {
  const d = mkdtempSync(join(tmpdir(), 'mmos-stdio-template-'));
  dirs.push(d);
  const engine = await openEngine({ dataDir: join(d, 'data') });
  await deploy(engine);
  await engine.close();
  template = join(d, 'data');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
// Each session is a process: tsx, PGlite opening its folder. Generous, for a loaded machine.
const SLOW = { timeout: 180_000 };

const adminEnv = (dir: string) => ({ ROLE: 'admin', INSTANCE_NAME: 'AdminClaude', MMOS_DATA_DIR: dir });
const workerEnv = (dir: string, id: string) => ({
  WORKER_ID: id, WORKER_NAME: 'Claude-Worker-1', WORKER_TYPE: 'Claude', CAPABILITIES: 'general, coding',
  WORKER_CAPACITY: '2', WORKER_TIER: '3', WORKER_INPUT_PRICE: '3', WORKER_OUTPUT_PRICE: '15', MMOS_DATA_DIR: dir,
});

/** Opens the folder from this process once the servers have exited (and released it). */
async function withEngine<T>(dir: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine({ dataDir: dir });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

async function session<T>(env: Record<string, string>, fn: (c: Client) => Promise<T>): Promise<T> {
  const s = await stdioClient(env);
  try {
    return await fn(s.client);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server stderr ---\n${s.stderr()}`);
  } finally {
    await s.close();
  }
}

function runMain(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'mcp', 'stdio-main.ts')], {
    cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', input: '', timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Reads until the rows pass `done` (the 1 s heartbeat has beaten) or 10 s pass; returns the last read. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const end = Date.now() + 10_000;
  let value = await read();
  while (!done(value) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

describe('stdio: environment', SLOW, () => {
  it('fails fast naming each wrong variable, before opening any database, with nothing on stdout', () => {
    const parent = mkdtempSync(join(tmpdir(), 'mmos-stdio-'));
    dirs.push(parent);
    const dir = join(parent, 'never-created');
    const cases: [Record<string, string>, string[]][] = [
      [{}, ['ROLE: is required']],
      [{ ROLE: 'worker', WORKER_TYPE: 'Claude' }, ['WORKER_ID: is required for a worker']],
      [{ ROLE: 'root', INSTANCE_NAME: 'x' }, ['ROLE: must be admin, worker or reader']],
      [{ ROLE: 'admin' }, ['INSTANCE_NAME: is required for ROLE=admin']],
      [{ WORKER_ID: 'w', WORKER_TYPE: 'Claude', WORKER_CAPACITY: '100', WORKER_TIER: 'gold' }, ['WORKER_CAPACITY: must be a whole number from 1 to 64', 'WORKER_TIER: must be a whole number from 1 to 3']],
      [{ ROLE: 'admin', INSTANCE_NAME: 'a', MMOS_TOOLSETS: 'orchestrator,magic' }, ['MMOS_TOOLSETS: unknown toolset(s) magic']],
    ];
    for (const [env, messages] of cases) {
      const r = runMain({ ...env, MMOS_DATA_DIR: dir });
      expect(r.status, JSON.stringify(env)).toBe(1);
      expect(r.stdout).toBe('');
      for (const m of messages) expect(r.stderr).toContain(m);
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe('stdio: tools per role', SLOW, () => {
  it('serves each role its tools; a worker cannot call create_project even by name', async () => {
    const dir = dataDir();
    const names = (c: Client) => c.listTools().then((r) => r.tools.map((t) => t.name).sort());
    const admin = await session(adminEnv(dir), names);
    const reader = await session({ ROLE: 'reader', INSTANCE_NAME: 'dashboard', MMOS_DATA_DIR: dir }, names);
    const worker = await session(workerEnv(dir, unique('w')), async (c) => {
      const res = await c.callTool({ name: 'create_project', arguments: { projectName: 'x' } });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toBe('unknown tool: "create_project"');
      return names(c);
    });
    const expected = (role: 'admin' | 'worker') =>
      [...toolTable.filter((e) => e.tool.toolset !== 'cli' && e.tool.roles.includes(role)).map((e) => e.tool.name), ...(role === 'admin' ? ['query_view'] : [])].sort();
    expect(admin).toEqual(expected('admin'));
    expect(worker).toEqual(expected('worker'));
    expect(reader).toEqual(['query_view']);
    expect(admin).toContain('create_project');
    expect(worker).not.toContain('create_project');

    const onlyExecutor = await session({ ...adminEnv(dir), ROLE: 'worker', WORKER_ID: unique('w'), WORKER_TYPE: 'Claude', MMOS_TOOLSETS: 'executor' }, names);
    expect(onlyExecutor).toEqual(toolTable.filter((e) => e.tool.toolset === 'executor' && e.tool.roles.includes('worker')).map((e) => e.tool.name).sort());
  });
});

describe('stdio: worker presence', SLOW, () => {
  it('registers the worker from the environment at start and marks it offline when stdin closes', async () => {
    const dir = dataDir();
    const id = unique('presence');
    await session(workerEnv(dir, id), async (c) => {
      const workers = rowsOf(await c.callTool({ name: 'list_workers', arguments: {} }));
      const me = workers.find((w) => w['workerId'] === id);
      expect(me).toMatchObject({ instanceName: 'Claude-Worker-1', modelType: 'Claude', status: 'online', workerCapacity: 2, qualityTier: 3 });
      const beat = rowsOf(await c.callTool({ name: 'heartbeat', arguments: {} }));
      expect(beat[0]).toMatchObject({ workerId: id, status: 'online' });
    });
    // The server unregistered the worker on the way out and released the folder.
    const rows = await withEngine(dir, (e) =>
      e.query('SELECT wp.status, mi.tenant_id FROM mmos.worker_pool wp JOIN mmos.model_instances mi USING (instance_id) WHERE mi.worker_id = $1', [id]));
    expect(rows).toEqual([{ status: 'offline', tenant_id: 'default' }]);
  });

  it('heartbeats on its interval and re-registers when the worker row is unknown', async () => {
    const engine = await openEngine({ dataDir: 'memory' });
    try {
      await deploy(engine);
      const id = unique('beat');
      const log = memoryLogger();
      const presence = new WorkerPresence(engine, { tenantId: 'default', callerId: id, role: 'worker' }, { instanceName: 'W', modelType: 'Claude' }, log, 1);
      await presence.start();
      await engine.query("UPDATE mmos.worker_pool SET last_heartbeat_at = now() - interval '1 hour' WHERE instance_id = (SELECT instance_id FROM mmos.model_instances WHERE worker_id = $1)", [id]);
      const freshness = () => engine.query("SELECT (now() - last_heartbeat_at) < interval '10 seconds' AS fresh FROM mmos.worker_pool JOIN mmos.model_instances USING (instance_id) WHERE worker_id = $1", [id]);
      expect(await pollUntil(freshness, (rows) => rows[0]?.['fresh'] === true)).toEqual([{ fresh: true }]);
      // The row is gone (say the database was reset): the next beat registers the worker again.
      const instance = `(SELECT instance_id FROM mmos.model_instances WHERE worker_id = '${id}')`;
      await engine.execScript(`DELETE FROM mmos.model_instance_capabilities WHERE instance_id = ${instance};
        DELETE FROM mmos.worker_pool WHERE instance_id = ${instance}; DELETE FROM mmos.model_instances WHERE worker_id = '${id}';`);
      const status = () => engine.query('SELECT status FROM mmos.worker_pool JOIN mmos.model_instances USING (instance_id) WHERE worker_id = $1', [id]);
      expect(await pollUntil(status, (rows) => rows.length > 0)).toEqual([{ status: 'online' }]);
      expect(log.lines.join('\n')).toContain(`worker ${id} unknown at heartbeat; registering again`);
      await presence.stop();
      const after = await engine.query('SELECT status FROM mmos.worker_pool JOIN mmos.model_instances USING (instance_id) WHERE worker_id = $1', [id]);
      expect(after).toEqual([{ status: 'offline' }]);
      expect(log.lines.join('\n')).toContain(`worker ${id} unregistered`);
    } finally {
      await engine.close();
    }
  });

  it('refuses to open an embedded folder another process holds', async () => {
    const dir = dataDir();
    await session(adminEnv(dir), async () => {
      const r = runMain(adminEnv(dir));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/is open in process \d+.*; only one process may open it/);
    });
  });
});

describe('stdio: task flow', SLOW, () => {
  it('create_project -> add_tasks -> claim_next_task -> complete_task -> get_project_status, events name the worker of WORKER_ID', async () => {
    const dir = dataDir();
    const workerId = unique('stdio-worker');
    await runTaskFlow({
      withAdmin: (fn) => session(adminEnv(dir), fn),
      withWorker: (fn) => session(workerEnv(dir, workerId), fn),
      workerId,
      events: (taskId) => withEngine(dir, (e) => e.query('SELECT event_type, actor, to_status FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id', [taskId])),
    });
  });
});

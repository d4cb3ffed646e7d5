import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { toolTable } from '../generated/index.js';
import { BIN, runMmos, tempDir } from './cli-support.js';

/**
 * Takes the .mcp.json files `mmos init` wrote and starts each server the way Claude Code does:
 * a stdio entry is spawned (command, args, env on top of the client's environment), an http entry
 * is reached at its url with its headers. The admin must see the orchestrator tools, the workers
 * must not.
 */
type Entry = { type: 'stdio'; command: string; args: string[]; env: Record<string, string> } | { type: 'http'; url: string; headers: Record<string, string> };

const FOLDERS = ['AdminClaude', 'WorkerClaude1', 'WorkerGemini2'];
const tools = toolTable.map((t) => t.tool).filter((t) => t.toolset !== ('cli' as string));
/** The orchestrator toolset: what the admin plans with (create_project, add_tasks, ...). */
const ORCHESTRATOR = tools.filter((t) => t.toolset === 'orchestrator' && t.roles.includes('admin')).map((t) => t.name);
/** Tools a worker's role does not allow: the server must not even list them to a worker. */
const NOT_FOR_WORKERS = tools.filter((t) => !t.roles.includes('worker')).map((t) => t.name);
/** The executor toolset a worker runs its loop with (claim_next_task, report_progress, ...). */
const EXECUTOR = tools.filter((t) => t.toolset === 'executor' && t.roles.includes('worker')).map((t) => t.name);

function entryOf(root: string, folder: string): Entry {
  const config = JSON.parse(readFileSync(join(root, folder, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, Entry> };
  expect(Object.keys(config.mcpServers)).toEqual(['mmos']);
  return config.mcpServers['mmos']!;
}

async function connect(entry: Entry, cwd: string): Promise<{ client: Client; stderr: () => string }> {
  const client = new Client({ name: 'cli-mcp-json-test', version: '1.0.0' });
  let err = '';
  if (entry.type === 'stdio') {
    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...getDefaultEnvironment(), ...entry.env }, cwd, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await client.connect(transport);
  } else {
    await client.connect(new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }));
  }
  return { client, stderr: () => err };
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

function expectRoleSplit(adminTools: string[], workerTools: string[][]): void {
  expect(ORCHESTRATOR).toEqual(expect.arrayContaining(['create_project', 'add_tasks']));
  expect(EXECUTOR).toEqual(expect.arrayContaining(['claim_next_task', 'complete_task']));
  for (const name of ORCHESTRATOR) expect(adminTools, `admin should see ${name}`).toContain(name);
  for (const w of workerTools) {
    for (const name of NOT_FOR_WORKERS) expect(w, `a worker must not see ${name}`).not.toContain(name);
    for (const name of EXECUTOR) expect(w, `a worker should see ${name}`).toContain(name);
  }
}

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1500, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

const PG_ADMIN = process.env['MMOS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgUrl = new URL(PG_ADMIN);
const pgReachable = await tcpAnswers(pgUrl.hostname, Number(pgUrl.port || 5432));

describe.skipIf(!pgReachable)(`.mcp.json from mmos init --url: stdio servers [PostgreSQL]${pgReachable ? '' : ` skipped: nothing answers at ${pgUrl.host}`}`, { timeout: 240_000 }, () => {
  const database = `mmos_test_${randomBytes(6).toString('hex')}`;
  const dbUrl = (() => { const u = new URL(PG_ADMIN); u.pathname = `/${database}`; return u.toString(); })();
  let root: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`); // hex digits only
    await admin.end();
    root = join(tempDir('mcpjson-stdio'), 'team');
    const r = await runMmos(['init', root, '--workers', '2', '--url', dbUrl]);
    expect(r.code, r.stderr).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    const a = new pg.Client({ connectionString: PG_ADMIN });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await a.end();
    rmSync(join(root, '..'), { recursive: true, force: true });
  }, 240_000);

  it('each stdio entry starts `mmos mcp` and lists the tools of its role', async () => {
    const seen: Record<string, string[]> = {};
    for (const folder of FOLDERS) {
      const entry = entryOf(root, folder);
      expect(entry.type).toBe('stdio');
      if (entry.type !== 'stdio') continue;
      expect(entry.command).toBe('node');
      expect(entry.args).toEqual([BIN, 'mcp']);
      const { client, stderr } = await connect(entry, join(root, folder));
      clients.push(client);
      seen[folder] = await toolNames(client).catch((e) => { throw new Error(`${folder}: ${String(e)}\n${stderr()}`); });
    }
    expectRoleSplit(seen['AdminClaude']!, [seen['WorkerClaude1']!, seen['WorkerGemini2']!]);
  }, 240_000);

  it('the workers registered themselves from their environment; the admin sees them', async () => {
    const admin = clients[0]!;
    const deadline = Date.now() + 60_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      const res = (await admin.callTool({ name: 'list_workers', arguments: {} })) as { structuredContent?: { rows?: { workerId: string; modelType: string }[] } };
      ids = (res.structuredContent?.rows ?? []).map((r) => `${r.workerId}:${r.modelType}`);
      if (ids.length >= 2) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(ids.sort()).toEqual(['worker-1:Claude', 'worker-2:Gemini']);
  }, 240_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `mmos serve` and resolves with the MCP URL it prints. */
function startServe(args: string[]): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MMOS_')));
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mmos serve printed no URL in 150 s:\n${err}`)), 150_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => /^https?:\/\//.test(l.trim()));
      if (line) {
        clearTimeout(timer);
        resolve({ proc, url: line.trim(), stderr: () => err });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mmos serve exited with ${code} before printing its URL:\n${err}`));
    });
  });
}

describe('.mcp.json from mmos init without --url: http entries through the hub [PGlite]', { timeout: 240_000 }, () => {
  let dir: string;
  let root: string;
  let data: string;
  let hub: Awaited<ReturnType<typeof startServe>> | undefined;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = tempDir('mcpjson-http');
    root = join(dir, 'team');
    data = join(dir, 'data');
    const port = await freePort();
    const r = await runMmos(['init', root, '--workers', '2', '--data', data, '--hub', `http://127.0.0.1:${port}`]);
    expect(r.code, r.stderr).toBe(0);
    hub = await startServe(['--data', data, '--port', String(port)]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    if (hub && hub.proc.exitCode === null) hub.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('each http entry reaches the hub with its bearer token and lists the tools of its role', async () => {
    const seen: Record<string, string[]> = {};
    for (const folder of FOLDERS) {
      const entry = entryOf(root, folder);
      expect(entry.type).toBe('http');
      if (entry.type !== 'http') continue;
      expect(entry.url).toBe(hub!.url);
      expect(entry.headers['Authorization']).toMatch(/^Bearer \S{20,}$/);
      const { client } = await connect(entry, root);
      clients.push(client);
      seen[folder] = await toolNames(client);
    }
    expectRoleSplit(seen['AdminClaude']!, [seen['WorkerClaude1']!, seen['WorkerGemini2']!]);
  }, 240_000);

  it('the hub refuses a wrong token', async () => {
    const entry = entryOf(root, 'WorkerClaude1');
    if (entry.type !== 'http') throw new Error('expected an http entry');
    await expect(connect({ ...entry, headers: { Authorization: 'Bearer not-a-real-token-0000000000' } }, root)).rejects.toThrow();
  });

  it('while the hub runs, other commands refuse the embedded database; after Ctrl+C they work again', async () => {
    const busy = await runMmos(['token', 'list', '--data', data]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('is open in process');
    expect(busy.stderr).toContain('mmos serve');

    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    const exited = new Promise<number | null>((r) => hub!.proc.once('exit', (code) => r(code)));
    hub!.proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(hub!.stderr()).toContain('hub stopped');

    const list = await runMmos(['token', 'list', '--data', data]);
    expect(list.code, list.stderr).toBe(0);
    for (const agent of ['AdminClaude', 'worker-1', 'worker-2']) expect(list.stdout).toContain(agent);
  }, 240_000);
});

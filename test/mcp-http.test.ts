import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { toolTable } from '../generated/index.js';
import { revokeToken } from '../mcp/tokens.js';
import { ToolCaller, toCallToolResult } from '../mcp/call-tool.js';
import { ToolRegistry, type RegisteredTool } from '../mcp/tool-registry.js';
import { PromptCatalog } from '../mcp/prompts.js';
import { httpClient, memoryLogger, rowsOf, startTestHub, textOf, type TestHub } from './support/mcp.js';
import { unique } from './support/identity.js';
import { runTaskFlow } from './support/mcp-flow.js';

/**
 * The hub over streamable HTTP through the real MCP SDK client: tools per role, identity from the
 * bearer token only, authentication and Origin checks, prompts, and the task flow end to end.
 */
let t: TestHub;
let admin: Client;
let worker: Client;
let reader: Client;
const workerId = unique('http-worker');

beforeAll(async () => {
  t = await startTestHub();
  admin = await httpClient(t.hub.mcpUrl, await t.token('AdminClaude', 'admin'));
  worker = await httpClient(t.hub.mcpUrl, await t.token(workerId, 'worker'));
  reader = await httpClient(t.hub.mcpUrl, await t.token('dashboard', 'reader'));
});
afterAll(async () => {
  await Promise.all([admin?.close(), worker?.close(), reader?.close()]);
  await t?.close();
});

/** What each role should see: the generated tools whose header allows the role (never toolset cli), plus query_view. */
function expectedTools(role: 'admin' | 'worker' | 'reader'): string[] {
  const generated = toolTable
    .map((e) => e.tool)
    .filter((d) => d.toolset !== 'cli' && d.roles.includes(role) && (role !== 'reader' || d.toolset === 'sql'))
    .map((d) => d.name);
  return [...generated, ...(role === 'worker' ? [] : ['query_view'])].sort();
}

describe('tools/list per role', () => {
  it('lists for each role exactly the tools its role may call, with annotations from the definition', async () => {
    const names = async (c: Client) => (await c.listTools()).tools.map((x) => x.name).sort();
    const [a, w, r] = await Promise.all([names(admin), names(worker), names(reader)]);
    expect(a).toEqual(expectedTools('admin'));
    expect(w).toEqual(expectedTools('worker'));
    expect(r).toEqual(['query_view']);
    expect(w).toContain('claim_next_task');
    expect(w).not.toContain('drain_worker');
    expect(a).not.toContain('claim_next_task');
    for (const list of [a, w, r]) for (const cli of ['create_agent_token', 'resolve_agent_token', 'list_agent_tokens', 'revoke_agent_token']) expect(list).not.toContain(cli);

    const listed = (await worker.listTools()).tools;
    for (const tool of listed) {
      const def = toolTable.find((e) => e.tool.name === tool.name)!.tool;
      expect(tool.annotations).toEqual({ title: def.title, ...def.annotations });
      expect(tool.inputSchema).toEqual(def.inputSchema);
      expect(tool.outputSchema).toEqual(def.outputSchema);
      expect(tool.description).toBe(def.description);
    }
    // the figures the report quotes
    process.stderr.write(`tool counts: admin ${a.length}, worker ${w.length}, reader ${r.length}\n`);
  });

  it('a worker can neither see nor call an admin tool, even by name; nobody can call a cli tool', async () => {
    for (const name of ['create_project', 'drain_worker', 'query_view']) {
      const res = await worker.callTool({ name, arguments: {} });
      expect(res.isError, name).toBe(true);
      expect(textOf(res)).toBe(`unknown tool: "${name}"`);
    }
    const res = await admin.callTool({ name: 'resolve_agent_token', arguments: { tokenHash: '0'.repeat(64) } });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain('unknown tool');
    const nonsense = await reader.callTool({ name: 'x'.repeat(5000), arguments: {} });
    expect(nonsense.isError).toBe(true);
  });
});

describe('identity comes from the token, never from arguments', () => {
  it('refuses identity passed as an argument, with a clear error, and registers nothing', async () => {
    const impostor = unique('impostor');
    for (const key of ['callerId', 'tenantId', 'callerRole']) {
      const res = await worker.callTool({ name: 'register_worker', arguments: { instanceName: 'W', modelType: 'Claude', [key]: impostor } });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(new RegExp(`^error 50400 \\(invalid_argument\\): .*unknown argument\\(s\\) ${key}`));
    }
    const rows = await t.engine.query('SELECT count(*)::int AS n FROM mmos.model_instances WHERE worker_id = $1 OR tenant_id = $1', [impostor]);
    expect(rows[0]!['n']).toBe(0);
  });

  it('registers the worker under the id its token names', async () => {
    const rows = rowsOf(await worker.callTool({ name: 'register_worker', arguments: { instanceName: 'Claude-Worker-1', modelType: 'Claude', capabilities: ['coding'] } }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ workerId, instanceName: 'Claude-Worker-1', status: 'online' });
    const db = await t.engine.query('SELECT tenant_id FROM mmos.model_instances WHERE worker_id = $1', [workerId]);
    expect(db.map((r) => r['tenant_id'])).toEqual([t.tenantId]);
  });

  it('bad arguments give a clear isError and change nothing', async () => {
    const before = await t.engine.query('SELECT instance_name, worker_capacity FROM mmos.model_instances JOIN mmos.worker_pool USING (instance_id) WHERE worker_id = $1', [workerId]);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ instanceName: 'X', modelType: 'Claude', workerCapacity: 0 }, /^error 50400 \(invalid_argument\): worker capacity must be between 1 and 64$/],
      [{ instanceName: 'X' }, /^error 50400 \(invalid_argument\): invalid arguments for RegisterWorker: modelType/],
      [{ instanceName: 'X', modelType: 'Claude', capabilities: 'coding' }, /^error 50400 \(invalid_argument\): invalid arguments for RegisterWorker: capabilities/],
    ];
    for (const [args, message] of cases) {
      const res = await worker.callTool({ name: 'register_worker', arguments: args });
      expect(res.isError).toBe(true);
      expect(res.structuredContent).toBeUndefined();
      expect(textOf(res)).toMatch(message);
    }
    const after = await t.engine.query('SELECT instance_name, worker_capacity FROM mmos.model_instances JOIN mmos.worker_pool USING (instance_id) WHERE worker_id = $1', [workerId]);
    expect(after).toEqual(before);
  });
});

describe('authentication and origin', () => {
  const post = (headers: Record<string, string>) =>
    fetch(t.hub.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });

  it('answers 401 with a JSON error, and nothing else, without a valid token', async () => {
    for (const headers of <Record<string, string>[]>[{}, { Authorization: 'Bearer mmos_wrong' }, { Authorization: `Bearer mmos_${'A'.repeat(43)}` }, { Authorization: 'Basic abc' }]) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ error: { kind: 'unauthorized', message: 'a valid bearer token is required' } });
    }
    await expect(httpClient(t.hub.mcpUrl, 'mmos_nope')).rejects.toMatchObject({ code: 401 });
  });

  it('refuses a revoked token at once, even for a client that connected before', async () => {
    const agent = unique('revoked');
    const token = await t.token(agent, 'worker');
    const client = await httpClient(t.hub.mcpUrl, token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await revokeToken(t.engine, { tenantId: t.tenantId, agentId: agent });
    await expect(client.listTools()).rejects.toMatchObject({ code: 401 });
    expect((await post({ Authorization: `Bearer ${token}` })).status).toBe(401);
    await client.close();
  });

  it('answers 403 to a foreign Origin, and serves the hub\'s own origins', async () => {
    const token = await t.token(unique('origin'), 'worker');
    const bad = await post({ Authorization: `Bearer ${token}`, Origin: 'http://evil.example' });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ error: { kind: 'forbidden_origin', message: 'origin not allowed' } });
    const port = new URL(t.hub.url).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const ok = await post({ Authorization: `Bearer ${token}`, Origin: origin });
      expect(ok.status, origin).toBe(200);
    }
  });

  it('answers 403 to another Host name on a loopback hub (DNS rebinding)', async () => {
    const token = await t.token(unique('host'), 'worker');
    const port = new URL(t.hub.url).port;
    const status = (host: string) =>
      new Promise<number>((done, fail) => {
        // fetch does not let a script set Host; node:http does.
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/tools', headers: { Host: host, Authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        });
        req.on('error', fail);
        req.end();
      });
    expect(await status(`rebound.example:${port}`)).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
  });

  it('GET /healthz needs no token and says only ok', async () => {
    const res = await fetch(`${t.hub.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('is stateless: no session id, GET /mcp is 405', async () => {
    const token = await t.token(unique('stateless'), 'worker');
    const res = await post({ Authorization: `Bearer ${token}` });
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const get = await fetch(t.hub.mcpUrl, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
  });
});

describe('prompts', () => {
  it('lists the five admin prompts for the admin only', async () => {
    const prompts = (await admin.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual(['discover-workers', 'create-project', 'assign-task', 'project-status', 'system-health']);
    const got = await admin.getPrompt({ name: 'create-project', arguments: { request: 'Build a REST API with auth' } });
    const text = (got.messages[0]!.content as { text: string }).text;
    expect(text).toContain('Build a REST API with auth');
    expect(text).toContain('`create_project`');
    await expect(admin.getPrompt({ name: 'assign-task', arguments: { taskId: '1' } })).rejects.toThrow(/workerId/);
    expect(worker.getServerCapabilities()?.prompts).toBeUndefined();
    await expect(worker.listPrompts()).rejects.toThrow();
  });

  it('every tool a prompt names is served to the admin', async () => {
    const adminTools = new Set((await admin.listTools()).tools.map((x) => x.name));
    const missing = new PromptCatalog().referencedTools().filter((n) => !adminTools.has(n));
    expect(missing).toEqual([]);
  });
});

describe('errors that are not refusals', () => {
  it('become a generic internal error for the client and a full log line for the operator', async () => {
    const log = memoryLogger();
    const boom: RegisteredTool = {
      definition: { ...toolTable[0]!.tool, name: 'boom', roles: ['admin'], toolset: 'orchestrator' },
      invoke: async () => { throw new Error('secret driver detail'); },
    };
    const caller = new ToolCaller(t.engine, new ToolRegistry([boom]), log);
    const result = toCallToolResult('boom', await caller.call({ tenantId: 't', callerId: 'a', role: 'admin' }, 'boom', {}));
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'internal error, see server log' }] });
    expect(log.lines.join('\n')).toContain('secret driver detail');
  });
});

describe('task flow over HTTP', () => {
  it('create_project -> add_tasks -> claim_next_task -> complete_task -> get_project_status, events name the authenticated worker', async () => {
    const flowWorker = unique('flow-worker');
    const w = await httpClient(t.hub.mcpUrl, await t.token(flowWorker, 'worker'));
    try {
      await runTaskFlow({
        withAdmin: (fn) => fn(admin),
        withWorker: (fn) => fn(w),
        workerId: flowWorker,
        registersItself: true,
        events: (taskId) => t.engine.query('SELECT event_type, actor, to_status FROM mmos.task_events WHERE task_id = $1 ORDER BY event_id', [taskId]),
      });
    } finally {
      await w.close();
    }
  });
});

describe('sweeps in the hub', () => {
  it('marks a worker that went silent offline', async () => {
    const sweeping = await startTestHub({ sweepIntervalSeconds: 1 });
    try {
      const id = unique('silent');
      const c = await httpClient(sweeping.hub.mcpUrl, await sweeping.token(id, 'worker'));
      rowsOf(await c.callTool({ name: 'register_worker', arguments: { instanceName: 'Silent', modelType: 'Claude' } }));
      await c.close();
      const status = async () => (await sweeping.engine.query('SELECT status FROM mmos.worker_pool JOIN mmos.model_instances USING (instance_id) WHERE worker_id = $1', [id]))[0]?.['status'];
      expect(await status()).toBe('online');
      await sweeping.engine.query("UPDATE mmos.worker_pool SET last_heartbeat_at = now() - interval '1 hour' WHERE instance_id = (SELECT instance_id FROM mmos.model_instances WHERE worker_id = $1)", [id]);
      const deadline = Date.now() + 10_000;
      while ((await status()) !== 'offline' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await status()).toBe('offline');
    } finally {
      await sweeping.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/mcp.js';
import { unique } from './support/identity.js';

/** The REST mirror of the tools: same token, same tools per role, errors as HTTP statuses. */
let t: TestHub;
let adminToken: string;
let workerToken: string;
const workerId = unique('rest-worker');

beforeAll(async () => {
  t = await startTestHub();
  adminToken = await t.token('AdminClaude', 'admin');
  workerToken = await t.token(workerId, 'worker');
});
afterAll(async () => t?.close());

async function call(token: string | undefined, name: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.hub.url}/api/tools/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { rows?: Record<string, unknown>[]; error?: { number?: number; kind: string; message: string } } };
}

describe('REST mirror', () => {
  it('GET /api/tools lists the caller\'s tools, the same as MCP tools/list', async () => {
    const list = async (token: string) => {
      const res = await fetch(`${t.hub.url}/api/tools`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { tools: { name: string; toolset: string; annotations: object }[] }).tools;
    };
    const worker = await list(workerToken);
    const admin = await list(adminToken);
    expect(worker.map((x) => x.name)).toContain('claim_next_task');
    expect(worker.map((x) => x.name)).not.toContain('create_project');
    expect(admin.map((x) => x.name)).toContain('create_project');
    expect(admin.map((x) => x.name)).not.toContain('claim_next_task');
    for (const tool of [...worker, ...admin]) expect(tool.toolset).not.toBe('cli');
  });

  it('runs the flow: 200 { rows } for each step, and maps refusals to 400, 404, 409 and 412', async () => {
    const project = await call(adminToken, 'create_project', { projectName: unique('REST project') });
    expect(project.status).toBe(200);
    const projectId = Number(project.body.rows![0]!['projectId']);
    const added = await call(adminToken, 'add_tasks', { projectId, tasks: [{ key: 'only', title: 'The only task' }] });
    expect(added.status).toBe(200);
    expect(added.body.rows).toHaveLength(1);

    expect((await call(workerToken, 'register_worker', { instanceName: 'REST-Worker', modelType: 'Script' })).status).toBe(200);
    const claim = await call(workerToken, 'claim_next_task', {});
    expect(claim.status).toBe(200);
    const { taskId, leaseToken } = claim.body.rows![0]! as { taskId: number; leaseToken: string };

    const stale = await call(workerToken, 'complete_task', { taskId, leaseToken: '00000000-0000-4000-8000-000000000000', result: 'x' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ number: 50412, kind: 'lease_mismatch' });

    const missing = await call(workerToken, 'complete_task', { taskId: 999_999_999, leaseToken, result: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ number: 50404, kind: 'not_found', message: expect.stringContaining('999999999') });

    const bad = await call(workerToken, 'complete_task', { taskId, leaseToken, result: 'x', workerId: 'someone-else' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ number: 50400, kind: 'invalid_argument', message: expect.stringContaining('unknown argument(s) workerId') });

    const done = await call(workerToken, 'complete_task', { taskId, leaseToken, result: 'all done' });
    expect(done.status).toBe(200);
    expect(done.body.rows![0]).toMatchObject({ taskId, status: 'done' });

    const again = await call(workerToken, 'complete_task', { taskId, leaseToken, result: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({ number: 50409, kind: 'wrong_state', message: `task ${taskId} is done, not running` });
    const events = await t.engine.query('SELECT actor FROM mmos.task_events WHERE task_id = $1 AND to_status IN ($2, $3)', [taskId, 'running', 'done']);
    expect(events.map((e) => e['actor'])).toEqual([workerId, workerId]);
  });

  it('404 for an unknown tool and for a tool the role may not call', async () => {
    for (const [token, name] of [[workerToken, 'no_such_tool'], [workerToken, 'create_project'], [adminToken, 'create_agent_token']] as const) {
      const r = await call(token, name, {});
      expect(r.status, name).toBe(404);
      expect(r.body).toEqual({ error: { kind: 'unknown_tool', message: `unknown tool: "${name}"` } });
    }
  });

  it('400 for a body that is not a JSON object of arguments', async () => {
    const notJson = await call(workerToken, 'claim_next_task', '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toEqual({ number: 50400, kind: 'invalid_argument', message: 'request body is not valid JSON' });
    const array = await call(workerToken, 'claim_next_task', [1, 2]);
    expect(array.status).toBe(400);
    expect(array.body.error!.message).toContain('JSON object');
  });

  it('401 without a valid token, 403 for a foreign Origin', async () => {
    for (const token of [undefined, 'mmos_wrong']) {
      const r = await call(token, 'claim_next_task', {});
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { kind: 'unauthorized', message: 'a valid bearer token is required' } });
    }
    const list = await fetch(`${t.hub.url}/api/tools`);
    expect(list.status).toBe(401);
    const foreign = await call(workerToken, 'claim_next_task', {}, { Origin: 'https://example.com' });
    expect(foreign.status).toBe(403);
  });

  it('500 with a generic message when the database refuses what the server allowed; the detail goes to the log', async () => {
    // The database enforces roles too: take EXECUTE away from the worker role and the call fails there.
    await t.engine.execScript('REVOKE EXECUTE ON FUNCTION mmos.list_workers FROM mmos_worker;');
    try {
      const r = await call(workerToken, 'list_workers', {});
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error: { kind: 'internal', message: 'internal error, see server log' } });
      expect(t.log.lines.some((l) => l.startsWith('error ') && l.includes('list_workers') && /permission denied/.test(l))).toBe(true);
    } finally {
      await t.engine.execScript('GRANT EXECUTE ON FUNCTION mmos.list_workers TO mmos_worker;');
    }
    expect((await call(workerToken, 'list_workers', {})).status).toBe(200);
  });
});

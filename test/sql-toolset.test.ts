import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Engine } from '../db/types.js';
import { readSqlFiles, sqlDir } from '../db/sql-files.js';
import { registerWorker } from '../generated/index.js';
import { queryViewTool, readViews, QUERY_VIEW_TIMEOUT_MS, type ViewInfo } from '../mcp/sql-toolset.js';
import type { Caller, RegisteredTool } from '../mcp/tool-registry.js';
import { describeEachEngine, engineTargets } from './support/engines.js';
import { as, unique } from './support/identity.js';
import { httpClient, rowsOf, startTestHub, textOf, type TestHub } from './support/mcp.js';

/**
 * query_view, the one hand-written tool: views and columns from the catalog, the caller's tenant
 * always applied, values as parameters, the reader database role, a statement timeout.
 */
const targets = await engineTargets();

describeEachEngine('sql toolset: query_view', targets, (db, label) => {
  let views: ViewInfo[];
  let tool: RegisteredTool;
  const tenantA = unique('ta');
  const tenantB = unique('tb');
  const reader = (tenantId: string): Caller => ({ tenantId, callerId: 'dashboard', role: 'reader' });
  const workersA = [unique('wa'), unique('wa')];

  beforeAll(async () => {
    for (const id of workersA) await registerWorker(db(), as(id, tenantA), { instanceName: `Name ${id}`, modelType: 'Claude', qualityTier: 3 });
    await registerWorker(db(), as(unique('wb'), tenantB), { instanceName: 'Other tenant', modelType: 'Gemini' });
    views = await readViews(db());
    tool = queryViewTool(views)!;
  });

  it('reads the deployed views and their columns from the catalog, in one spelling on every engine', () => {
    // every view file of sql/views, named as there, on every engine
    const files = readSqlFiles(sqlDir('tsql', 'views')).map((f) => f.name).sort((a, b) => a.localeCompare(b));
    expect(files).toEqual(expect.arrayContaining(['vw_DeadLetters', 'vw_ProjectProgress', 'vw_Queue', 'vw_WorkerLoad']));
    expect(views.map((v) => v.name)).toEqual(files);
    const load = views.find((v) => v.name === 'vw_WorkerLoad')!;
    expect(load.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['workerId', 'instanceName', 'status', 'workerCapacity', 'freeCapacity']));
    expect(load.columns.map((c) => c.name)).not.toContain('tenantId');
    expect(tool.definition.inputSchema).toMatchObject({ properties: { view: { enum: files } }, required: ['view'], additionalProperties: false });
    expect(tool.definition).toMatchObject({ name: 'query_view', toolset: 'sql', roles: ['admin', 'reader'], annotations: { readOnlyHint: true } });
  });

  it("returns only the caller's tenant, with equality filters, NULL filters and a limit", async () => {
    const all = await tool.invoke(db(), reader(tenantA), { view: 'vw_WorkerLoad' });
    expect(all.map((r) => r['workerId']).sort()).toEqual([...workersA].sort());
    expect(all[0]).toMatchObject({ modelType: 'Claude', qualityTier: 3, status: 'online', runningTasks: 0 });
    expect(typeof all[0]!['lastHeartbeatAt']).toBe('string');

    const one = await tool.invoke(db(), reader(tenantA), { view: 'vw_WorkerLoad', filters: { workerId: workersA[1], qualityTier: 3 } });
    expect(one.map((r) => r['workerId'])).toEqual([workersA[1]]);
    expect(await tool.invoke(db(), reader(tenantA), { view: 'vw_WorkerLoad', filters: { modelName: null } })).toHaveLength(2);
    expect(await tool.invoke(db(), reader(tenantA), { view: 'vw_WorkerLoad', limit: 1 })).toHaveLength(1);
    // another tenant's worker, even named exactly, is not there
    expect(await tool.invoke(db(), reader(tenantA), { view: 'vw_WorkerLoad', filters: { modelType: 'Gemini' } })).toEqual([]);
  });

  it('refuses bad arguments with 50400 naming the problem', async () => {
    const cases: [unknown, string][] = [
      [{ view: 'WorkSessions' }, 'view'],
      [{ view: 'vw_WorkerLoad; DROP TABLE x' }, 'view'],
      [{ view: 'vw_WorkerLoad', filters: { nope: 1 } }, "view vw_WorkerLoad has no column 'nope'; its columns are workerId"],
      [{ view: 'vw_WorkerLoad', filters: { 'status" OR 1=1 --': 'x' } }, 'has no column'],
      [{ view: 'vw_WorkerLoad', filters: { tenantId: tenantB } }, 'tenantId is not a filter'],
      [{ view: 'vw_WorkerLoad', filters: { status: { $ne: 1 } } }, 'filters.status'],
      [{ view: 'vw_WorkerLoad', limit: 0 }, 'limit'],
      [{ view: 'vw_WorkerLoad', limit: 1001 }, 'limit'],
      [{ view: 'vw_WorkerLoad', sql: 'SELECT 1' }, 'unknown argument(s) sql'],
      [{ view: 'vw_WorkerLoad', filters: { workerCapacity: 'many' } }, 'a filter value does not fit its column'],
    ];
    for (const [args, message] of cases) {
      await expect(tool.invoke(db(), reader(tenantA), args), JSON.stringify(args)).rejects.toMatchObject({ number: 50400, message: expect.stringContaining(message) });
    }
  });

  it('runs under the reader database role, which may read the views and nothing else', async () => {
    const e = db();
    const mssql = e.kind === 'mssql';
    await e.execScript(mssql
      ? "IF OBJECT_ID(N'mmos.vw_WhoAmI', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_WhoAmI AS SELECT CAST(N''t'' AS NVARCHAR(64)) AS TenantId, USER_NAME() AS DatabaseUser');\nGO\nGRANT SELECT ON OBJECT::mmos.vw_WhoAmI TO mmos_reader;"
      : "CREATE OR REPLACE VIEW mmos.vw_who_am_i AS SELECT 't'::text AS tenant_id, current_user::text AS database_user; GRANT SELECT ON mmos.vw_who_am_i TO mmos_reader;");
    const whoTool = queryViewTool(await readViews(e))!;
    const rows = await whoTool.invoke(e, reader('t'), { view: 'vw_WhoAmI' });
    expect(rows).toEqual([{ databaseUser: mssql ? 'mmos_reader_user' : 'mmos_reader' }]);
    // the same role cannot read a table
    await expect(e.query(mssql ? 'SELECT TOP 1 * FROM mmos.WorkerPool' : 'SELECT * FROM mmos.worker_pool LIMIT 1', [], { role: 'reader' })).rejects.toThrow(/permission|denied/i);
  });

  const timerless = label === 'PGlite' ? 'PGlite has no timer to enforce a statement timeout' : label === 'SQL Server' ? 'a T-SQL view cannot WAITFOR, so there is no slow view to time out here' : undefined;
  (timerless ? it.skip : it)(`stops a query after ${QUERY_VIEW_TIMEOUT_MS / 1000} s${timerless ? ` (skipped: ${timerless})` : ''}`, async () => {
    const e: Engine = db();
    await e.execScript("CREATE OR REPLACE VIEW mmos.vw_slow AS SELECT 't'::text AS tenant_id, pg_sleep(30)::text AS slept; GRANT SELECT ON mmos.vw_slow TO mmos_reader;");
    const slowTool = queryViewTool(await readViews(e))!;
    const started = Date.now();
    await expect(slowTool.invoke(e, reader('t'), { view: 'vw_Slow' })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('ran longer than 5 s') });
    expect(Date.now() - started).toBeLessThan(QUERY_VIEW_TIMEOUT_MS + 5_000);
  }, 30_000);
});

describe('sql toolset over MCP', () => {
  let t: TestHub;
  let reader: Client;
  let worker: Client;
  beforeAll(async () => {
    t = await startTestHub();
    reader = await httpClient(t.hub.mcpUrl, await t.token('dashboard', 'reader'));
    worker = await httpClient(t.hub.mcpUrl, await t.token(unique('w'), 'worker'));
    rowsOf(await worker.callTool({ name: 'register_worker', arguments: { instanceName: 'Viewed', modelType: 'Claude' } }));
  });
  afterAll(async () => {
    await Promise.all([reader?.close(), worker?.close()]);
    await t?.close();
  });

  it('a reader gets query_view only, and its rows as structured content', async () => {
    expect((await reader.listTools()).tools.map((x) => x.name)).toEqual(['query_view']);
    const rows = rowsOf(await reader.callTool({ name: 'query_view', arguments: { view: 'vw_WorkerLoad' } }));
    expect(rows.map((r) => r['instanceName'])).toEqual(['Viewed']);
    const bad = await reader.callTool({ name: 'query_view', arguments: { view: 'vw_WorkerLoad', filters: { secret: 1 } } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/^error 50400 \(invalid_argument\): view vw_WorkerLoad has no column 'secret'/);
    const forbidden = await reader.callTool({ name: 'list_workers', arguments: {} });
    expect(textOf(forbidden)).toBe('unknown tool: "list_workers"');
  });
});

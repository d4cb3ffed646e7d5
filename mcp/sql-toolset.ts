import { z } from 'zod';
import type { ToolDefinition } from '../db/call.js';
import type { Engine, Row } from '../db/types.js';
import { MmosError } from '../db/types.js';
import { pascalToCamel, snakeToCamel, snakeToPascal } from '../db/names.js';
import type { RegisteredTool } from './tool-registry.js';

/**
 * The sql toolset: `query_view`, read-only queries over the project's views. It is the one
 * HAND-WRITTEN tool (every other tool is generated from a procedure): a view query has no procedure
 * to call. Safety does not come from filtering SQL text. The statement runs under the database role
 * `reader`, which may SELECT the views and nothing else (no table, no procedure), with a statement
 * timeout; and its text is built only from identifiers read from the catalog (the view and its
 * columns, quoted), never from argument text, with every filter value a parameter.
 */
export const QUERY_VIEW_TIMEOUT_MS = 5_000;
export const QUERY_VIEW_DEFAULT_LIMIT = 100;
export const QUERY_VIEW_MAX_LIMIT = 1_000;

interface ViewColumn {
  /** camelCase name shown to callers on every engine (taskId). */
  name: string;
  /** Name in the database (TaskId on SQL Server, task_id on PostgreSQL). */
  dbName: string;
  numeric: boolean;
}

export interface ViewInfo {
  /** T-SQL spelling on every engine (vw_ProjectProgress), so a tool call reads the same everywhere. */
  name: string;
  dbName: string;
  /** The columns callers see and filter on (all but the tenant column). */
  columns: ViewColumn[];
  /** TenantId / tenant_id: always filtered to the caller's tenant, never an argument. */
  tenantColumn?: string;
}

const TENANT_COLUMN = 'tenantId';

const PG_NUMERIC = /^(smallint|integer|bigint|numeric|real|double precision)\b/;
const TSQL_NUMERIC = /^(tinyint|smallint|int|bigint|decimal|numeric|money|smallmoney|float|real)$/i;

/** The views of schema mmos and their columns, from the catalog; read once when the server starts. */
export async function readViews(engine: Engine): Promise<ViewInfo[]> {
  const mssql = engine.kind === 'mssql';
  const rows = await engine.query(
    mssql
      ? `SELECT v.name AS view_name, c.name AS column_name, TYPE_NAME(c.user_type_id) AS data_type
           FROM sys.views AS v JOIN sys.columns AS c ON c.object_id = v.object_id
          WHERE v.schema_id = SCHEMA_ID(N'mmos') AND v.name LIKE N'vw[_]%'
          ORDER BY v.name, c.column_id`
      : `SELECT c.relname AS view_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type
           FROM pg_class AS c
           JOIN pg_namespace AS n ON n.oid = c.relnamespace
           JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname = 'mmos' AND c.relkind IN ('v', 'm') AND c.relname LIKE 'vw\\_%'
            AND has_table_privilege('mmos_reader', c.oid, 'SELECT')
          ORDER BY c.relname, a.attnum`,
  );
  const views = new Map<string, ViewInfo>();
  for (const r of rows) {
    const dbName = String(r['view_name']);
    const colName = String(r['column_name']);
    const type = String(r['data_type']);
    let view = views.get(dbName);
    if (!view) {
      view = { name: mssql ? dbName : `vw_${snakeToPascal(dbName.slice(3))}`, dbName, columns: [] };
      views.set(dbName, view);
    }
    const name = mssql ? pascalToCamel(colName) : snakeToCamel(colName);
    if (name === TENANT_COLUMN) view.tenantColumn = colName;
    else view.columns.push({ name, dbName: colName, numeric: mssql ? TSQL_NUMERIC.test(type) : PG_NUMERIC.test(type) });
  }
  return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const filterValue = z.union([z.string().max(4000), z.number(), z.boolean(), z.null()]);

/**
 * The query_view tool over the given views; undefined when there is nothing to query. Only views
 * with a tenant column are served: every query is filtered to the caller's tenant, so a view that
 * cannot be filtered so could show one tenant another's rows.
 */
export function queryViewTool(allViews: readonly ViewInfo[], log?: (line: string) => void): RegisteredTool | undefined {
  for (const v of allViews) if (!v.tenantColumn) log?.(`query_view: view ${v.name} has no TenantId column and is not served`);
  const views = allViews.filter((v) => v.tenantColumn);
  if (!views.length) return undefined;
  const byName = new Map(views.map((v) => [v.name, v]));
  const names = views.map((v) => v.name) as [string, ...string[]];
  const input = z
    .object({
      view: z.enum(names).describe('The view to read.'),
      filters: z.record(z.string(), filterValue).optional()
        .describe('Equality filters, column name -> value (null matches NULL); all must hold.'),
      limit: z.number().int().min(1).max(QUERY_VIEW_MAX_LIMIT).optional()
        .describe(`Most rows to return (default ${QUERY_VIEW_DEFAULT_LIMIT}, at most ${QUERY_VIEW_MAX_LIMIT}).`),
    })
    .strict();
  const inputSchema = z.toJSONSchema(input, { io: 'input' }) as Record<string, unknown>;
  delete inputSchema['$schema'];

  const definition: ToolDefinition = {
    name: 'query_view',
    title: 'Query View',
    description: [
      "Read rows of one of the reporting views, with optional equality filters, for the caller's tenant. Read-only: runs under the database role reader, which may read the views and nothing else, and stops after 5 s.",
      `Views and their columns:\n${views.map((v) => `- ${v.name}: ${v.columns.map((c) => c.name).join(', ')}`).join('\n')}`,
      'Errors: 50400 unknown view or column, a value that does not fit its column, limit out of range, or a query that ran too long.',
    ].join('\n\n'),
    procedure: '',
    roles: ['admin', 'reader'],
    toolset: 'sql',
    inputSchema,
    outputSchema: {
      type: 'object',
      properties: { rows: { type: 'array', items: { type: 'object' } } },
      required: ['rows'],
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  };

  return {
    definition,
    async invoke(engine, caller, args) {
      const parsed = input.safeParse(args ?? {});
      if (!parsed.success) throw new MmosError(50400, `invalid arguments for query_view: ${issues(parsed.error)}`);
      const view = byName.get(parsed.data.view)!;
      const filters = Object.entries(parsed.data.filters ?? {}).map(([key, value]) => {
        if (key === TENANT_COLUMN || key === view.tenantColumn)
          throw new MmosError(50400, `${key} is not a filter: the server filters every view to your tenant`);
        const column = view.columns.find((c) => c.name === key || c.dbName === key);
        if (!column)
          throw new MmosError(50400, `view ${view.name} has no column '${key.slice(0, 100)}'; its columns are ${view.columns.map((c) => c.name).join(', ')}`);
        return { column, value };
      });
      const limit = parsed.data.limit ?? QUERY_VIEW_DEFAULT_LIMIT;
      const tenant = { column: { name: TENANT_COLUMN, dbName: view.tenantColumn!, numeric: false }, value: caller.tenantId };
      const { text, values } = buildViewQuery(engine.kind === 'mssql', view, [tenant, ...filters], limit);
      let raw: Row[];
      try {
        raw = await engine.query(text, values, { role: 'reader', timeoutMs: QUERY_VIEW_TIMEOUT_MS });
      } catch (err) {
        throw mapQueryError(err);
      }
      return raw.map((r) => {
        const out: Row = {};
        for (const c of view.columns) out[c.name] = plainValue(r[c.dbName], c.numeric);
        return out;
      });
    },
  };
}

/** Identifiers come from the catalog only and are quoted; values are parameters. */
function buildViewQuery(
  mssql: boolean,
  view: ViewInfo,
  filters: { column: ViewColumn; value: unknown }[],
  limit: number,
): { text: string; values: unknown[] } {
  const q = mssql ? (id: string) => `[${id.replace(/]/g, ']]')}]` : (id: string) => `"${id.replace(/"/g, '""')}"`;
  const param = (n: number) => (mssql ? `@p${n}` : `$${n}`);
  const values: unknown[] = [];
  const where: string[] = [];
  for (const { column, value } of filters) {
    if (value === null) {
      where.push(`${q(column.dbName)} IS NULL`);
    } else {
      values.push(value);
      where.push(`${q(column.dbName)} = ${param(values.length)}`);
    }
  }
  values.push(limit);
  const limitParam = param(values.length);
  const cols = view.columns.map((c) => q(c.dbName)).join(', ');
  const whereText = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const text = mssql
    ? `SELECT TOP (${limitParam}) ${cols} FROM mmos.${q(view.dbName)}${whereText}`
    : `SELECT ${cols} FROM mmos.${q(view.dbName)}${whereText} LIMIT ${limitParam}`;
  return { text, values };
}

/** Driver values as JSON: numbers as numbers (pg returns bigint and numeric as strings), times as ISO strings. */
function plainValue(raw: unknown, numeric: boolean): unknown {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Date) return raw.toISOString();
  if (typeof raw === 'bigint') return Number(raw);
  if (numeric && typeof raw === 'string') return Number(raw);
  if (Buffer.isBuffer(raw)) return raw.toString('base64');
  return raw;
}

/** A value that does not fit its column, or a query cut by the timeout, is the caller's to fix: 50400. */
function mapQueryError(err: unknown): unknown {
  const e = err as { code?: unknown; number?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : '';
  if (e?.code === '57014' || e?.code === 'ETIMEOUT')
    return new MmosError(50400, `query_view ran longer than ${QUERY_VIEW_TIMEOUT_MS / 1000} s and was cancelled; narrow it with filters or a lower limit`);
  // PostgreSQL data exceptions (class 22: invalid text for the type, out of range); SQL Server conversion errors.
  if ((typeof e?.code === 'string' && e.code.startsWith('22')) || e?.number === 245 || e?.number === 8114 || e?.number === 8115)
    return new MmosError(50400, `a filter value does not fit its column: ${message}`);
  return err;
}

function issues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown argument(s) ${(i as { keys: string[] }).keys.join(', ')}`;
      const where = i.path.length ? `${i.path.join('.')}: ` : '';
      return `${where}${i.message}`;
    })
    .join('; ');
}

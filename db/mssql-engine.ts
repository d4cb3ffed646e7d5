import sql from 'mssql';
import type { CallOptions, DbRole, Engine, ParamSignature, ProcedureSignature, Row } from './types.js';
import { MmosError, isErrorNumber } from './types.js';
import { normalizeRow } from './values.js';

/** Only names from a generated signature reach SQL text, and only when they match these. */
const PROC_NAME = /^_?[A-Z][A-Za-z0-9]*$/;
const PARAM_NAME = /^[A-Z][A-Za-z0-9]*$/;
/** The client-side batch separator: a line holding only GO, optionally `;` and a `--` comment. */
const GO_LINE = /^\s*go\s*;?\s*(--.*)?$/i;
const LOCK_TIMEOUT_MS = 120_000;

/** Loginless database users, one per role (sql/security/roles.sql); the server impersonates them per call. */
const ROLE_USER: Record<DbRole, string> = { admin: 'mmos_admin_user', worker: 'mmos_worker_user', reader: 'mmos_reader_user' };

/**
 * Runs `body` as the role's user. TRY/CATCH so that a procedure's THROW still reverts the
 * impersonation before the connection goes back to the pool (a THROW outside TRY ends the batch
 * and would skip a trailing REVERT); a doomed transaction is rolled back first because a doomed
 * transaction allows nothing but ROLLBACK. THROW; re-raises the original number and message. The
 * leading guard repairs a connection left impersonated by a batch cut short by a client timeout
 * (an attention skips CATCH too): those users have no login, so the server's own login never is one.
 */
function asRole(role: DbRole, body: string): string {
  const user = ROLE_USER[role];
  if (!user) throw new Error(`unknown database role: ${String(role)}`);
  const users = Object.values(ROLE_USER).map((u) => `N'${u}'`).join(', ');
  return `IF USER_NAME() IN (${users}) REVERT;
EXECUTE AS USER = N'${user}';
BEGIN TRY
${body}
END TRY
BEGIN CATCH
    IF XACT_STATE() <> 0 ROLLBACK TRANSACTION;
    REVERT;
    THROW;
END CATCH;
REVERT;`;
}

/** Parses mssql://user:pass@host:port/database?encrypt=false&trustServerCertificate=true (or sqlserver://). */
export function mssqlConfig(url: string, poolSize = 10): sql.config {
  const u = new URL(url);
  if (u.protocol !== 'mssql:' && u.protocol !== 'sqlserver:') throw new Error(`not a SQL Server URL: ${u.protocol}//...`);
  const q = u.searchParams;
  const flag = (name: string, dflt: boolean): boolean => {
    const v = q.get(name);
    if (v === null) return dflt;
    if (/^(true|yes|1)$/i.test(v)) return true;
    if (/^(false|no|0)$/i.test(v)) return false;
    throw new Error(`SQL Server URL: ${name} must be true or false, got '${v}'`);
  };
  const num = (name: string, dflt: number): number => {
    const v = q.get(name);
    if (v === null) return dflt;
    if (!/^\d+$/.test(v)) throw new Error(`SQL Server URL: ${name} must be a number of milliseconds, got '${v}'`);
    return Number(v);
  };
  const instanceName = q.get('instanceName') ?? undefined;
  return {
    server: decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1'),
    // tedious ignores the port when an instance name is given (the browser service resolves it).
    port: u.port && !instanceName ? Number(u.port) : undefined,
    user: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    connectionTimeout: num('connectTimeout', 15_000),
    requestTimeout: num('requestTimeout', 30_000),
    pool: { max: poolSize, min: 0, idleTimeoutMillis: 30_000 },
    options: {
      encrypt: flag('encrypt', true),
      trustServerCertificate: flag('trustServerCertificate', false),
      instanceName,
      appName: 'mmos',
      useUTC: true,
    },
  };
}

/** The mssql type of a parameter: the declared length/precision, so the server sees what the procedure declares. */
function sqlType(p: ParamSignature): sql.ISqlType {
  switch (p.type) {
    case 'text': return p.maxLength ? sql.NVarChar(p.maxLength) : sql.NVarChar(sql.MAX);
    case 'json': return sql.NVarChar(sql.MAX);
    case 'int': return sql.Int();
    case 'bigint': return sql.BigInt();
    case 'decimal': return sql.Decimal(p.precision ?? 38, p.scale ?? 10);
    case 'bool': return sql.Bit();
    case 'timestamp': return sql.DateTime2(3);
    case 'uuid': return sql.UniqueIdentifier();
  }
}

function toSqlValue(p: ParamSignature, v: unknown): unknown {
  if (v === null) return null;
  switch (p.type) {
    case 'json': return typeof v === 'string' ? v : JSON.stringify(v);
    case 'timestamp': return v instanceof Date ? v : new Date(String(v));
    case 'bigint': return typeof v === 'bigint' ? v.toString() : v;
    default: return v;
  }
}

/** instanceName -> instance name, for messages that read like the procedures' own (_CheckText). */
function label(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A procedure's numbered THROW (504xx) becomes an MmosError; any other error passes through unchanged. */
export function mapMssqlError(err: unknown): unknown {
  const e = err as { precedingErrors?: unknown[] } | undefined;
  // mssql reports the last error of a batch and keeps earlier ones in precedingErrors.
  for (const c of [...(e?.precedingErrors ?? []), err]) {
    const n = (c as { number?: unknown } | undefined)?.number;
    if (typeof n === 'number' && isErrorNumber(n)) return new MmosError(n, (c as Error).message);
  }
  return err;
}

function watch(pool: sql.ConnectionPool): sql.ConnectionPool {
  // Without a listener an 'error' event from an idle connection would crash the process.
  pool.on('error', (err: Error) => process.stderr.write(`mmos: SQL Server connection error: ${err.message}\n`));
  return pool;
}

/** A SQL Server reached over a connection pool (mssql://... or sqlserver://...). */
export class MssqlEngine implements Engine {
  readonly kind = 'mssql' as const;
  /** One connection for scripts, so a script's batches share a session; a queue keeps scripts from interleaving. */
  private scriptPool: Promise<sql.ConnectionPool> | undefined;
  private scriptQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly pool: sql.ConnectionPool, private readonly config: sql.config) {}

  static async open(url: string, poolSize?: number): Promise<MssqlEngine> {
    const config = mssqlConfig(url, poolSize);
    const pool = watch(new sql.ConnectionPool(config));
    await pool.connect();
    return new MssqlEngine(pool, config);
  }

  async call(sig: ProcedureSignature, args: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<Row[]> {
    if (!PROC_NAME.test(sig.name)) throw new Error(`bad procedure name in signature: ${sig.name}`);
    const request = this.newRequest(options);
    const assigns: string[] = [];
    for (const p of sig.params) {
      const v = args[p.name];
      if (v === undefined) continue; // omitted: the procedure's default applies
      if (!PARAM_NAME.test(p.sqlName)) throw new Error(`bad parameter name in signature: ${p.sqlName}`);
      // SQL Server silently truncates a value longer than NVARCHAR(n): refuse it here, as _CheckText words it.
      if (p.type === 'text' && p.maxLength !== undefined && typeof v === 'string' && v.length > p.maxLength) {
        throw new MmosError(50400, `${label(p.name)} is longer than ${p.maxLength} characters (${v.length} given)`);
      }
      request.input(p.sqlName, sqlType(p), toSqlValue(p, v));
      assigns.push(`@${p.sqlName} = @${p.sqlName}`);
    }
    try {
      const result = options?.role
        ? await request.query(asRole(options.role, `    EXEC mmos.${sig.name}${assigns.length ? ' ' + assigns.join(', ') : ''};`))
        : await request.execute(`mmos.${sig.name}`);
      return ((result.recordset ?? []) as Row[]).map((r) => normalizeRow(sig.columns, r, 'sqlName'));
    } catch (err) {
      throw mapMssqlError(err);
    }
  }

  async query(sqlText: string, params: readonly unknown[] = [], options?: CallOptions): Promise<Row[]> {
    const request = this.newRequest(options);
    // Types are inferred from the JS values; fixed query texts only (deploy, views, tests).
    params.forEach((v, i) => request.input(`p${i + 1}`, v === undefined ? null : v));
    try {
      const result = await request.query(options?.role ? asRole(options.role, sqlText) : sqlText);
      return (result.recordset ?? []) as Row[];
    } catch (err) {
      throw mapMssqlError(err);
    }
  }

  async execScript(sqlText: string): Promise<void> {
    const batches = splitBatches(sqlText);
    const run = this.scriptQueue.then(async () => {
      // No request timeout: a migration building an index on a large table may take minutes.
      if (!this.scriptPool) {
        const opening = watch(new sql.ConnectionPool({ ...this.config, requestTimeout: 0, pool: { max: 1, min: 0 } })).connect();
        // A failed connect is not cached: the next script tries again.
        opening.catch(() => { if (this.scriptPool === opening) this.scriptPool = undefined; });
        this.scriptPool = opening;
      }
      const pool = await this.scriptPool;
      for (const batch of batches) await pool.request().batch(batch);
    });
    this.scriptQueue = run.catch(() => undefined);
    try {
      await run;
    } catch (err) {
      throw mapMssqlError(err);
    }
  }

  async withAppLock<T>(resource: string, fn: () => Promise<T>): Promise<T> {
    // A session-owned lock needs its own session: a fresh one-connection pool per call, so two
    // callers in this process do not share (and so re-enter) the same session's lock.
    const lockPool = watch(new sql.ConnectionPool({ ...this.config, requestTimeout: LOCK_TIMEOUT_MS + 30_000, pool: { max: 1, min: 0 } }));
    await lockPool.connect();
    try {
      const got = await lockPool
        .request()
        .input('Resource', sql.NVarChar(255), resource)
        .input('Timeout', sql.Int(), LOCK_TIMEOUT_MS)
        .query(
          "DECLARE @Result INT; EXEC @Result = sp_getapplock @Resource = @Resource, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = @Timeout; SELECT @Result AS result;",
        );
      const code = Number((got.recordset?.[0] as Row | undefined)?.['result']);
      if (!(code >= 0)) {
        const why: Record<number, string> = { [-1]: 'timed out', [-2]: 'cancelled', [-3]: 'deadlock victim', [-999]: 'bad parameter' };
        throw new Error(`could not take application lock '${resource}' within ${LOCK_TIMEOUT_MS / 1000} s: sp_getapplock returned ${code} (${why[code] ?? 'unknown'})`);
      }
      try {
        return await fn();
      } finally {
        // Closing the session below releases the lock anyway, so a failed release must not hide fn's outcome.
        await lockPool
          .request()
          .input('Resource', sql.NVarChar(255), resource)
          .query("EXEC sp_releaseapplock @Resource = @Resource, @LockOwner = 'Session';")
          .catch(() => undefined);
      }
    } finally {
      await lockPool.close();
    }
  }

  /**
   * A request on the pool; with options.timeoutMs, mssql's per-request requestTimeout override
   * (mssql >= 10; its typings omit the argument). A timed-out batch ends with an attention, which
   * skips CATCH and so the REVERT: asRole's leading guard repairs that connection on its next use.
   */
  private newRequest(options?: CallOptions): sql.Request {
    if (options?.timeoutMs === undefined) return this.pool.request();
    const ms = options.timeoutMs;
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`timeoutMs must be a positive integer, got ${String(ms)}`);
    return (this.pool.request as (conf?: { requestTimeout?: number }) => sql.Request).call(this.pool, { requestTimeout: ms });
  }

  async close(): Promise<void> {
    const script = this.scriptPool;
    this.scriptPool = undefined;
    await Promise.all([this.pool.close(), script?.then((p) => p.close(), () => undefined)]);
  }
}

/** Splits a script on GO lines (a client convention, never sent to the server); blank batches are dropped. */
export function splitBatches(text: string): string[] {
  const batches: string[] = [];
  let current: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (GO_LINE.test(line)) {
      batches.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  batches.push(current.join('\n'));
  return batches.filter((b) => b.trim() !== '');
}

import pg from 'pg';
import type { CallOptions, Engine, ProcedureSignature, Row } from './types.js';
import { buildPgCall, mapPgError, pgLocalSettings } from './pg-call.js';
import { normalizeRow } from './values.js';

/** A PostgreSQL server reached over a connection pool (postgres://...). */
export class PostgresEngine implements Engine {
  readonly kind = 'postgres' as const;
  private closed = false;
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string, poolSize = 10): Promise<PostgresEngine> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    const engine = new PostgresEngine(pool);
    // An idle client can be cut by the server (restart, DROP DATABASE ... WITH (FORCE) right after
    // close()); the pool replaces it. Worth a line while open, noise once closed.
    pool.on('error', (err) => {
      if (!engine.closed) process.stderr.write(`mmos: idle PostgreSQL client error: ${err.message}\n`);
    });
    await engine.query('SELECT 1');
    return engine;
  }

  async call(sig: ProcedureSignature, args: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<Row[]> {
    const { text, values } = buildPgCall(sig, args);
    const rows = await this.query(text, values, options);
    return rows.map((r) => normalizeRow(sig.columns, r, 'pgName'));
  }

  async query(sqlText: string, params: readonly unknown[] = [], options?: CallOptions): Promise<Row[]> {
    try {
      const settings = pgLocalSettings(options);
      if (!settings.length) return (await this.pool.query<Row>(sqlText, params as unknown[])).rows;
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        for (const s of settings) await client.query(s);
        const rows = (await client.query<Row>(sqlText, params as unknown[])).rows;
        await client.query('COMMIT');
        return rows;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async execScript(sqlText: string): Promise<void> {
    await this.pool.query(sqlText);
  }

  async withAppLock<T>(resource: string, fn: () => Promise<T>): Promise<T> {
    // Session-level advisory lock on a dedicated client: two deploys racing run one after the other.
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [resource]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [resource]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end();
  }
}

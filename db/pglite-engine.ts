import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './data-dir-lock.js';
import type { CallOptions, Engine, ProcedureSignature, Row } from './types.js';
import { buildPgCall, mapPgError, pgLocalSettings } from './pg-call.js';
import { normalizeRow } from './values.js';

/**
 * The embedded engine: PostgreSQL compiled to WebAssembly, in process. Runs the PostgreSQL twin.
 * One process may open a data folder at a time (the hub holds it); calls are serialised by PGlite.
 */
export class PgliteEngine implements Engine {
  readonly kind = 'pglite' as const;
  private constructor(
    private readonly db: PGlite,
    private readonly releaseLock: () => void,
  ) {}

  /** dataDir undefined: in memory (tests, demo). A folder is locked for this process until close(). */
  static async open(dataDir?: string): Promise<PgliteEngine> {
    if (!dataDir) {
      const db = new PGlite();
      await db.waitReady;
      return new PgliteEngine(db, () => undefined);
    }
    const release = lockDataDir(dataDir);
    try {
      mkdirSync(dataDir, { recursive: true });
      const db = new PGlite(dataDir);
      await db.waitReady;
      return new PgliteEngine(db, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  async call(sig: ProcedureSignature, args: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<Row[]> {
    const { text, values } = buildPgCall(sig, args);
    const rows = await this.query(text, values, options);
    return rows.map((r) => normalizeRow(sig.columns, r, 'pgName'));
  }

  async query(sqlText: string, params: readonly unknown[] = [], options?: CallOptions): Promise<Row[]> {
    try {
      const settings = pgLocalSettings(options);
      if (!settings.length) return (await this.db.query<Row>(sqlText, params as unknown[])).rows;
      return await this.db.transaction(async (tx) => {
        for (const s of settings) await tx.query(s);
        return (await tx.query<Row>(sqlText, params as unknown[])).rows;
      });
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async execScript(sqlText: string): Promise<void> {
    await this.db.exec(sqlText);
  }

  async withAppLock<T>(_resource: string, fn: () => Promise<T>): Promise<T> {
    // One process owns a PGlite database, and PGlite runs one statement at a time; an advisory
    // lock taken here would be held by the same single session that fn uses, so it adds nothing.
    return fn();
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.releaseLock();
    }
  }
}

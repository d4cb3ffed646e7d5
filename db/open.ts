import type { Engine } from './types.js';

/** Where the embedded engine keeps its data when no database URL is given. */
export const DEFAULT_DATA_DIR = '.mmos/data';

export interface OpenOptions {
  /** postgres://..., postgresql://..., mssql://... or sqlserver://...; undefined: embedded PGlite. */
  url?: string;
  /** Data folder for the embedded engine; 'memory' for an in-memory database (tests, demo). */
  dataDir?: string;
  poolSize?: number;
}

/** Opens the engine a URL names. Drivers load lazily so an embedded run never loads mssql. */
export async function openEngine(options: OpenOptions = {}): Promise<Engine> {
  const url = options.url?.trim();
  if (!url) {
    const { PgliteEngine } = await import('./pglite-engine.js');
    const dir = options.dataDir ?? DEFAULT_DATA_DIR;
    return PgliteEngine.open(dir === 'memory' ? undefined : dir);
  }
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { PostgresEngine } = await import('./postgres-engine.js');
    return PostgresEngine.open(url, options.poolSize);
  }
  if (scheme === 'mssql' || scheme === 'sqlserver') {
    const { MssqlEngine } = await import('./mssql-engine.js');
    return MssqlEngine.open(url, options.poolSize);
  }
  throw new Error(`unsupported database URL scheme '${scheme}': use postgres://, mssql:// or no URL for the embedded engine`);
}

import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, beforeAll, afterAll } from 'vitest';
import type { Engine } from '../../db/types.js';
import { openEngine } from '../../db/open.js';
import { deploy } from '../../db/deploy.js';

/**
 * The engine matrix of the contract suite. PGlite always runs; PostgreSQL when MMOS_TEST_PG_URL is
 * set or 127.0.0.1:5432 answers; SQL Server when MMOS_TEST_MSSQL_URL is set or a Docker engine
 * can start one (test/support/mssql.ts). An engine that is not reachable becomes a skipped suite
 * whose name says which engine and why, so a run never reports it as passed.
 */
export interface EngineTarget {
  label: 'PGlite' | 'PostgreSQL' | 'SQL Server';
  /** Why the engine is skipped, or undefined when it runs. */
  skipped?: string;
  /** Creates a fresh, deployed database; returns the engine, its URL (server engines) and a disposer. */
  create(): Promise<{ engine: Engine; url?: string; dispose(): Promise<void> }>;
}

const PG_DEFAULT = 'postgres://postgres@127.0.0.1:5432/postgres';

function tcpAnswers(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function postgresTarget(): Promise<EngineTarget> {
  const adminUrl = process.env['MMOS_TEST_PG_URL'] ?? PG_DEFAULT;
  const u = new URL(adminUrl);
  if (!(await tcpAnswers(u.hostname, Number(u.port || 5432))))
    return { label: 'PostgreSQL', skipped: `PostgreSQL: nothing answers at ${u.host} (set MMOS_TEST_PG_URL)`, create: unreachable };
  return {
    label: 'PostgreSQL',
    async create() {
      const database = `mmos_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`); // name made above from hex digits only
      await admin.end();
      const url = withDatabase(adminUrl, database);
      const engine = await openEngine({ url, poolSize: 40 });
      await deploy(engine);
      return {
        engine,
        url,
        async dispose() {
          await engine.close();
          const a = new pg.Client({ connectionString: adminUrl });
          await a.connect();
          await a.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          await a.end();
        },
      };
    },
  };
}

async function mssqlTarget(): Promise<EngineTarget> {
  const { startMssql } = await import('./mssql.js');
  // Probe once (one server per test process); each describe block then gets its own database.
  const probe = await startMssql();
  if ('skipped' in probe) return { label: 'SQL Server', skipped: probe.skipped, create: unreachable };
  let first: typeof probe | undefined = probe;
  return {
    label: 'SQL Server',
    async create() {
      const started = first ?? (await startMssql());
      first = undefined;
      if ('skipped' in started) throw new Error(started.skipped);
      const engine = await openEngine({ url: started.url, poolSize: 40 });
      await deploy(engine);
      return { engine, url: started.url, async dispose() { await engine.close(); await started.stop(); } };
    },
  };
}

const pgliteTarget: EngineTarget = {
  label: 'PGlite',
  async create() {
    const engine = await openEngine({ dataDir: 'memory' });
    await deploy(engine);
    return { engine, dispose: () => engine.close() };
  },
};

async function unreachable(): Promise<never> {
  throw new Error('engine not reachable');
}

let targets: Promise<EngineTarget[]> | undefined;
/** The matrix, probed once per test file. */
export function engineTargets(): Promise<EngineTarget[]> {
  targets ??= Promise.all([Promise.resolve(pgliteTarget), postgresTarget(), mssqlTarget()]);
  return targets;
}

/** Only the server engines (concurrency and crash tests need a real server). */
export async function serverTargets(): Promise<EngineTarget[]> {
  return (await engineTargets()).filter((t) => t.label !== 'PGlite');
}

/**
 * Declares `name [Engine]` once per engine. Inside, `db()` returns that engine with a fresh deployed
 * database for the whole describe block, and `url()` that database's URL on a server engine (for a
 * test that needs a connection of its own). Unreachable engines appear as skipped, named with the reason.
 */
export function describeEachEngine(
  name: string,
  targetsList: EngineTarget[],
  body: (db: () => Engine, label: EngineTarget['label'], url: () => string) => void,
): void {
  for (const target of targetsList) {
    if (target.skipped) {
      const skipped = (): never => { throw new Error('skipped'); };
      describe.skip(`${name} [${target.label}] skipped: ${target.skipped}`, () => body(skipped, target.label, skipped));
      continue;
    }
    describe(`${name} [${target.label}]`, () => {
      let created: Awaited<ReturnType<EngineTarget['create']>> | undefined;
      beforeAll(async () => { created = await target.create(); }, 180_000);
      afterAll(async () => { await created?.dispose(); }, 60_000);
      const made = () => {
        if (!created) throw new Error(`${target.label} engine was not created`);
        return created;
      };
      body(() => made().engine, target.label, () => {
        const { url } = made();
        if (!url) throw new Error(`${target.label} has no URL (an embedded engine: one connection only)`);
        return url;
      });
    });
  }
}

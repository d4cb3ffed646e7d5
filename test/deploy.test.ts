import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import { readSqlFiles, sqlDir } from '../db/sql-files.js';
import { engineTargets } from './support/engines.js';

/**
 * Deploy: re-runnable (a second run changes nothing), and safe when two deploys race on an empty
 * database: the application lock makes one wait for the other, so each migration runs once.
 */
const migrations = readSqlFiles(sqlDir('pg', 'tables')).length;
const postgres = (await engineTargets()).find((t) => t.label === 'PostgreSQL')!;

describe('deploy [PGlite]', () => {
  it('applies every migration once, then reports everything unchanged', async () => {
    const engine = await openEngine({ dataDir: 'memory' });
    try {
      const first = await deploy(engine);
      expect(first.migrationsApplied).toHaveLength(migrations);
      expect(first.schemaVersion).toBe(migrations);
      const again = await deploy(engine);
      expect(again).toMatchObject({ migrationsApplied: [], objectsUpdated: [], schemaVersion: migrations });
      expect(again.objectsUnchanged).toBe(first.objectsUpdated.length);
    } finally {
      await engine.close();
    }
  });
});

(postgres.skipped ? describe.skip : describe)(`deploy [PostgreSQL]${postgres.skipped ? ` skipped: ${postgres.skipped}` : ''}`, () => {
  it('two deploys racing on an empty database both succeed and each migration is recorded once', async () => {
    const adminUrl = process.env['MMOS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `mmos_test_${randomBytes(6).toString('hex')}`; // hex only: safe as an identifier
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const [a, b] = await Promise.all([openEngine({ url: url.toString() }), openEngine({ url: url.toString() })]);
    try {
      const reports = await Promise.all([deploy(a), deploy(b)]);
      // One of them did the work; the other, waiting on the lock, found it done.
      expect(reports.map((r) => r.migrationsApplied.length).sort()).toEqual([0, migrations]);
      const versions = await a.query('SELECT version, count(*)::int AS n FROM mmos.schema_version GROUP BY version ORDER BY version');
      expect(versions.map((v) => v['n'])).toEqual(Array(migrations).fill(1));
    } finally {
      await a.close();
      await b.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});

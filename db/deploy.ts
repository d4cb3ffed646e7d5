import type { Engine } from './types.js';
import { type Dialect, type SqlFile, migrationVersion, parseHeader, readSqlFiles, sqlDir } from './sql-files.js';
import { PG_ROLE } from './pg-call.js';

/**
 * Deploys the schema, views, procedures, grants and (SQL Server) Agent jobs, in that order, under an
 * application lock so that two racing deploys run one after the other. Safe to re-run:
 * migrations run once each (recorded in SchemaVersion), and views and procedures are re-applied
 * only when their file's checksum changed (recorded in DeployedObjects).
 */
export interface DeployReport {
  engine: string;
  schemaVersion: number;
  migrationsApplied: string[];
  objectsUpdated: string[];
  objectsUnchanged: number;
  jobs: string;
}

const LOCK = 'mmos-deploy';
const ROLE_NAME = /^(admin|worker|reader)$/;

export function dialectOf(engine: Engine): Dialect {
  return engine.kind === 'mssql' ? 'tsql' : 'pg';
}

const BOOTSTRAP: Record<Dialect, string> = {
  pg: `
CREATE SCHEMA IF NOT EXISTS mmos;
CREATE TABLE IF NOT EXISTS mmos.schema_version (
  version integer NOT NULL CONSTRAINT pk_schema_version PRIMARY KEY,
  name varchar(200) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS mmos.deployed_objects (
  object_name varchar(200) NOT NULL CONSTRAINT pk_deployed_objects PRIMARY KEY,
  checksum char(64) NOT NULL,
  deployed_at timestamptz NOT NULL DEFAULT now());`,
  tsql: `
IF SCHEMA_ID(N'mmos') IS NULL EXEC(N'CREATE SCHEMA mmos AUTHORIZATION dbo');
GO
IF OBJECT_ID(N'mmos.SchemaVersion', N'U') IS NULL
CREATE TABLE mmos.SchemaVersion (
  Version INT NOT NULL CONSTRAINT PK_SchemaVersion PRIMARY KEY,
  Name NVARCHAR(200) NOT NULL,
  AppliedAt DATETIME2(3) NOT NULL CONSTRAINT DF_SchemaVersion_AppliedAt DEFAULT SYSUTCDATETIME());
IF OBJECT_ID(N'mmos.DeployedObjects', N'U') IS NULL
CREATE TABLE mmos.DeployedObjects (
  ObjectName NVARCHAR(200) NOT NULL CONSTRAINT PK_DeployedObjects PRIMARY KEY,
  Checksum CHAR(64) NOT NULL,
  DeployedAt DATETIME2(3) NOT NULL CONSTRAINT DF_DeployedObjects_DeployedAt DEFAULT SYSUTCDATETIME());`,
};

/** Fixed statements per dialect; positional parameters are $1.. on PostgreSQL and @p1.. on SQL Server. */
const Q = {
  pg: {
    applied: 'SELECT version FROM mmos.schema_version',
    recordVersion: 'INSERT INTO mmos.schema_version (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING',
    checksums: 'SELECT object_name, checksum FROM mmos.deployed_objects',
    recordChecksum:
      'INSERT INTO mmos.deployed_objects (object_name, checksum) VALUES ($1, $2) ON CONFLICT (object_name) DO UPDATE SET checksum = EXCLUDED.checksum, deployed_at = now()',
  },
  tsql: {
    applied: 'SELECT Version AS version FROM mmos.SchemaVersion',
    recordVersion: 'IF NOT EXISTS (SELECT 1 FROM mmos.SchemaVersion WHERE Version = @p1) INSERT INTO mmos.SchemaVersion (Version, Name) VALUES (@p1, @p2)',
    checksums: 'SELECT ObjectName AS object_name, Checksum AS checksum FROM mmos.DeployedObjects',
    recordChecksum:
      'UPDATE mmos.DeployedObjects SET Checksum = @p2, DeployedAt = SYSUTCDATETIME() WHERE ObjectName = @p1; IF @@ROWCOUNT = 0 INSERT INTO mmos.DeployedObjects (ObjectName, Checksum) VALUES (@p1, @p2)',
  },
} as const;

export async function deploy(engine: Engine, log: (line: string) => void = () => undefined): Promise<DeployReport> {
  const dialect = dialectOf(engine);
  if (dialect === 'tsql') await requireCompatibilityLevel(engine);
  return engine.withAppLock(LOCK, async () => {
    await engine.execScript(BOOTSTRAP[dialect]);
    const q = Q[dialect];

    const applied = new Set((await engine.query(q.applied)).map((r) => Number(r['version'])));
    const migrationsApplied: string[] = [];
    for (const m of readSqlFiles(sqlDir(dialect, 'tables'))) {
      const version = migrationVersion(m.name);
      if (applied.has(version)) continue;
      log(`migration ${m.name}`);
      await engine.execScript(m.text);
      await engine.query(q.recordVersion, [version, m.name]);
      migrationsApplied.push(m.name);
    }

    const known = new Map((await engine.query(q.checksums)).map((r) => [String(r['object_name']), String(r['checksum']).trim()]));
    const objectsUpdated: string[] = [];
    let objectsUnchanged = 0;
    const procedures = readSqlFiles(sqlDir(dialect, 'procedures'));
    const objects: { key: string; file: SqlFile }[] = [
      ...readSqlFiles(sqlDir(dialect, 'views')).map((file) => ({ key: `view:${file.name}`, file })),
      ...procedures.map((file) => ({ key: `procedure:${file.name}`, file })),
    ];
    for (const { key, file } of objects) {
      if (known.get(key) === file.checksum) {
        objectsUnchanged++;
        continue;
      }
      log(`apply ${key}`);
      await engine.execScript(file.text);
      await engine.query(q.recordChecksum, [key, file.checksum]);
      objectsUpdated.push(key);
    }

    await applySecurity(engine, dialect, procedures);
    const jobs = dialect === 'tsql' ? await deployAgentJobs(engine, log) : 'not applicable: node-cron runs the sweeps in process';

    const version = Math.max(0, ...(await engine.query(q.applied)).map((r) => Number(r['version'])));
    return { engine: engine.kind, schemaVersion: version, migrationsApplied, objectsUpdated, objectsUnchanged, jobs };
  });
}

/**
 * The procedures use OPENJSON, which a database below compatibility level 130 (SQL Server 2016)
 * does not know; such a database is refused before anything is written, with the fix.
 */
async function requireCompatibilityLevel(engine: Engine): Promise<void> {
  const rows = await engine.query('SELECT compatibility_level AS level FROM sys.databases WHERE name = DB_NAME()');
  const level = Number(rows[0]?.['level']);
  if (Number.isFinite(level) && level < 130)
    throw new Error(`deploy: this database runs at compatibility level ${level}; MMOS needs 130 or higher (its procedures use OPENJSON). Raise it with: ALTER DATABASE CURRENT SET COMPATIBILITY_LEVEL = 160`);
}

/**
 * Database roles and grants. Roles: mmos_admin, mmos_worker, mmos_reader (sql/.../security/roles.sql).
 * EXECUTE is granted per procedure to the roles its header names; internal procedures get none.
 * Statement text uses only names from our own sql/ files, each checked against a strict pattern.
 */
async function applySecurity(engine: Engine, dialect: Dialect, procedures: SqlFile[]): Promise<void> {
  for (const f of readSqlFiles(sqlDir(dialect, 'security'))) await engine.execScript(f.text);
  const statements: string[] = [];
  for (const file of procedures) {
    const header = parseHeader(file);
    if (!/^_?[A-Za-z][A-Za-z0-9_]*$/.test(file.name)) throw new Error(`unexpected procedure file name ${file.name}`);
    const roles = header.roles.filter((r) => ROLE_NAME.test(r)).map((r) => PG_ROLE[r as 'admin' | 'worker' | 'reader']);
    if (dialect === 'pg') {
      statements.push(`REVOKE ALL ON FUNCTION mmos.${file.name} FROM PUBLIC;`);
      if (roles.length) statements.push(`GRANT EXECUTE ON FUNCTION mmos.${file.name} TO ${roles.join(', ')};`);
    } else {
      // CREATE OR ALTER keeps a procedure's permissions (PostgreSQL's DROP + CREATE does not), so a
      // role taken out of @roles must lose its grant here; revoking only those roles leaves no
      // moment without the grants that stay.
      for (const role of Object.values(PG_ROLE)) {
        statements.push(roles.includes(role)
          ? `GRANT EXECUTE ON OBJECT::mmos.${file.name} TO ${role};`
          : `REVOKE EXECUTE ON OBJECT::mmos.${file.name} FROM ${role};`);
      }
    }
  }
  for (const v of readSqlFiles(sqlDir(dialect, 'views'))) {
    if (!/^vw_[A-Za-z0-9_]+$/.test(v.name)) throw new Error(`view files are named vw_<name>: ${v.name}`);
    const target = dialect === 'pg' ? `mmos.${v.name}` : `OBJECT::mmos.${v.name}`;
    statements.push(`GRANT SELECT ON ${target} TO mmos_reader, mmos_admin;`);
  }
  if (statements.length) await engine.execScript(statements.join('\n'));
}

/**
 * SQL Server Agent jobs (sql/jobs). Where Agent is absent deploy says so and goes on; node-cron then
 * runs the sweeps in process. msdb.dbo.sp_add_job exists even where Agent never runs (Express), so
 * the edition decides: no Agent on Express (4), Azure SQL Database (5), Synapse (6, 11) or Azure
 * SQL Edge (9); Managed Instance (8) has one. Creating jobs where none will run would be worse than
 * skipping: the sweeps would silently stop. A login that may not manage jobs (sysadmin, or
 * SQLAgentUserRole plus read access to msdb's job tables, which the scripts query) is also a skip,
 * not a failed deploy. Agent sessions are visible only with VIEW SERVER STATE, so "not seen
 * running" is a note, not a refusal.
 */
async function deployAgentJobs(engine: Engine, log: (line: string) => void): Promise<string> {
  // One CASE, edition first: where Agent cannot exist (Azure SQL Database has no msdb) nothing else is evaluated.
  const probe = await engine.query(`SELECT CASE
    WHEN CAST(SERVERPROPERTY('EngineEdition') AS INT) IN (4, 5, 6, 9, 11) THEN 'absent'
    WHEN OBJECT_ID(N'msdb.dbo.sp_add_job') IS NULL THEN 'absent'
    WHEN ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sp_add_job', N'OBJECT', N'EXECUTE'), 0) = 1
     AND ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sysjobs', N'OBJECT', N'SELECT'), 0) = 1
     AND ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sysjobsteps', N'OBJECT', N'SELECT'), 0) = 1
     AND ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sysjobschedules', N'OBJECT', N'SELECT'), 0) = 1
     AND ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sysschedules', N'OBJECT', N'SELECT'), 0) = 1
     AND ISNULL(HAS_PERMS_BY_NAME(N'msdb.dbo.sysjobservers', N'OBJECT', N'SELECT'), 0) = 1 THEN 'allowed'
    ELSE 'denied' END AS agent,
  CASE WHEN EXISTS (SELECT 1 FROM sys.dm_exec_sessions WHERE program_name LIKE N'SQLAgent%') THEN 1 ELSE 0 END AS running`);
  const row = probe[0] ?? {};
  const agent = String(row['agent']);
  let note: string | undefined;
  if (agent === 'denied')
    note = 'skipped: this login may not create SQL Server Agent jobs (needs sysadmin, or SQLAgentUserRole and SELECT on msdb.dbo.sysjobs, sysjobsteps, sysjobschedules, sysschedules and sysjobservers); node-cron runs the sweeps in process';
  else if (agent !== 'allowed') note = 'skipped: SQL Server Agent is not available on this server; node-cron runs the sweeps in process';
  if (note) {
    log(note);
    return note;
  }
  const files = readSqlFiles(sqlDir('tsql', 'jobs'));
  for (const f of files) {
    log(`agent job ${f.name}`);
    await engine.execScript(f.text);
  }
  const notRunning = Number(row['running']) === 1 ? '' : ' (SQL Server Agent was not seen running: the jobs run once it starts)';
  return `created or updated ${files.length} Agent job(s)${notRunning}`;
}

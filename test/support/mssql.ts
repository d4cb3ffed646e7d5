import { randomBytes } from 'node:crypto';
import sql from 'mssql';
import { mssqlConfig } from '../../db/mssql-engine.js';

/**
 * A SQL Server for tests, in this order: MMOS_TEST_MSSQL_URL (any database on the server; a login
 * allowed to CREATE DATABASE), else a container started by testcontainers when a Docker engine
 * answers, else a reason to skip. Each call gets a fresh database `mmos_test_<hex>`; stop() drops
 * it, with the Agent jobs deploy made for it (the jobs are named after the database and would
 * otherwise fail every 10 seconds against a missing database).
 */
export type StartedMssql = { url: string; stop(): Promise<void> };

const IMAGE = 'mcr.microsoft.com/mssql/server:2022-latest';
const DOCKER_PROBE_MS = 5_000;

/** One container per test process, shared by every call; testcontainers' reaper removes it when the process ends. */
let container: Promise<string | { skipped: string }> | undefined;

export async function startMssql(): Promise<StartedMssql | { skipped: string }> {
  const given = process.env['MMOS_TEST_MSSQL_URL']?.trim();
  const server = given || (await (container ??= startContainer()));
  if (typeof server !== 'string') return server;
  return createDatabase(server);
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onMaster<T>(serverUrl: string, fn: (pool: sql.ConnectionPool) => Promise<T>): Promise<T> {
  const pool = new sql.ConnectionPool({ ...mssqlConfig(withDatabase(serverUrl, 'master'), 1), requestTimeout: 120_000 });
  pool.on('error', () => undefined);
  await pool.connect();
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

async function createDatabase(serverUrl: string): Promise<StartedMssql> {
  // Hex digits only, so the name is safe inside brackets; DDL cannot take the name as a parameter.
  const database = `mmos_test_${randomBytes(6).toString('hex')}`;
  // A container that just logged "Recovery is complete" may refuse logins for a few seconds more.
  for (let attempt = 1; ; attempt++) {
    try {
      await onMaster(serverUrl, (pool) => pool.request().batch(`CREATE DATABASE [${database}];`));
      break;
    } catch (err) {
      if (!(err instanceof sql.ConnectionError) || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 3_000));
    }
  }
  let stopped = false;
  return {
    url: withDatabase(serverUrl, database),
    async stop() {
      if (stopped) return;
      stopped = true;
      await onMaster(serverUrl, async (pool) => {
        await pool
          .request()
          .batch(`IF OBJECT_ID(N'msdb.dbo.sysjobsteps') IS NOT NULL
BEGIN
    DECLARE @JobId UNIQUEIDENTIFIER;
    WHILE 1 = 1
    BEGIN
        SET @JobId = NULL;
        SELECT TOP (1) @JobId = s.job_id FROM msdb.dbo.sysjobsteps AS s WHERE s.database_name = N'${database}';
        IF @JobId IS NULL BREAK;
        EXEC msdb.dbo.sp_delete_job @job_id = @JobId, @delete_unused_schedule = 1;
    END
END;`)
          .catch(() => undefined); // no msdb access: nothing of ours to remove
        await pool.request().batch(`IF DB_ID(N'${database}') IS NOT NULL
BEGIN
    ALTER DATABASE [${database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
    DROP DATABASE [${database}];
END;`);
      });
    },
  };
}

/** Starts SQL Server 2022 with Agent in a container, or says why not. Never waits long for an absent Docker. */
async function startContainer(): Promise<string | { skipped: string }> {
  let tc: typeof import('testcontainers');
  let mssqlModule: typeof import('@testcontainers/mssqlserver');
  try {
    // Loaded lazily and guarded: a load failure (e.g. a dependency needing a newer Node) means "cannot start one".
    tc = await import('testcontainers');
    mssqlModule = await import('@testcontainers/mssqlserver');
  } catch (err) {
    return { skipped: `SQL Server: MMOS_TEST_MSSQL_URL not set and testcontainers cannot load on Node ${process.version} (${firstLine(err)})` };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DOCKER_PROBE_MS} ms`)), DOCKER_PROBE_MS);
      timer.unref();
    });
    await Promise.race([tc.getContainerRuntimeClient(), timeout]);
  } catch {
    return { skipped: 'SQL Server: MMOS_TEST_MSSQL_URL not set and no Docker engine' };
  } finally {
    clearTimeout(timer);
  }
  const password = `Mmos-${randomBytes(12).toString('hex')}-A1`; // meets SQL Server's complexity rule
  const started = await new mssqlModule.MSSQLServerContainer(IMAGE)
    .acceptLicense()
    .withPassword(password)
    .withEnvironment({ MSSQL_AGENT_ENABLED: 'true' })
    .start();
  const user = encodeURIComponent(started.getUsername());
  return `mssql://${user}:${encodeURIComponent(password)}@${started.getHost()}:${started.getPort()}/master?encrypt=false&trustServerCertificate=true`;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

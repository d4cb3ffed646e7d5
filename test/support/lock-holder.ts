import pg from 'pg';
import sql from 'mssql';
import { mssqlConfig } from '../../db/mssql-engine.js';
import type { Engine } from '../../db/types.js';

/**
 * A transaction of the test's own, on its own connection, that takes task row locks one at a time
 * and keeps them until commit: it plays the part of a writer stopped between two of its locks, so a
 * test can pin the order in which a procedure takes its own. Server engines only.
 */
export interface LockHolder {
  /** The server's id of the holder's session (pg_backend_pid() / @@SPID). */
  sessionId: number;
  /** Locks one task row for update; waits while another transaction holds it. */
  lock(taskId: number): Promise<void>;
  commit(): Promise<void>;
  /** Rolls back (if still open) and closes the connection. */
  close(): Promise<void>;
}

export async function holdLocks(kind: Engine['kind'], url: string): Promise<LockHolder> {
  if (kind === 'mssql') {
    const pool = new sql.ConnectionPool(mssqlConfig(url, 1));
    pool.on('error', () => undefined);
    await pool.connect();
    const tx = new sql.Transaction(pool);
    await tx.begin();
    const spid = await new sql.Request(tx).query<{ spid: number }>('SELECT @@SPID AS spid');
    let open = true;
    return {
      sessionId: Number(spid.recordset[0]!.spid),
      async lock(taskId) {
        await new sql.Request(tx).input('id', sql.BigInt, taskId)
          .query('SELECT TaskId FROM mmos.TaskQueue WITH (UPDLOCK, ROWLOCK, HOLDLOCK) WHERE TaskId = @id');
      },
      async commit() { open = false; await tx.commit(); },
      async close() {
        if (open) await tx.rollback().catch(() => undefined);
        await pool.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  const pid = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  let open = true;
  return {
    sessionId: Number(pid.rows[0]!.pid),
    async lock(taskId) { await client.query('SELECT task_id FROM mmos.task_queue WHERE task_id = $1 FOR UPDATE', [taskId]); },
    async commit() { open = false; await client.query('COMMIT'); },
    async close() {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    },
  };
}

/** How many sessions are waiting now for a lock the holder's session holds. */
export async function waitersOn(db: Engine, holder: LockHolder): Promise<number> {
  const rows = db.kind === 'mssql'
    ? await db.query('SELECT COUNT(*) AS n FROM sys.dm_exec_requests WHERE blocking_session_id = @p1', [holder.sessionId])
    : await db.query('SELECT count(*) AS n FROM pg_stat_activity WHERE $1::integer = ANY (pg_blocking_pids(pid))', [holder.sessionId]);
  return Number(rows[0]?.['n'] ?? 0);
}

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
    let open = true;
    return {
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
  let open = true;
  return {
    async lock(taskId) { await client.query('SELECT task_id FROM mmos.task_queue WHERE task_id = $1 FOR UPDATE', [taskId]); },
    async commit() { open = false; await client.query('COMMIT'); },
    async close() {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    },
  };
}

/** How many lock requests on the server are waiting now (another session holds what they want). */
export async function waitingLocks(db: Engine): Promise<number> {
  const rows = db.kind === 'mssql'
    ? await db.query("SELECT COUNT(*) AS n FROM sys.dm_tran_locks WHERE request_status = 'WAIT' AND resource_database_id = DB_ID()")
    : await db.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')");
  return Number(rows[0]?.['n'] ?? 0);
}

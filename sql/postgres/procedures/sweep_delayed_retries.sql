/*
@procedure SweepDelayedRetries
@summary Make ready the tasks whose retry back-off has passed.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. Takes up to BatchSize 'retry_wait' tasks whose NotBefore has passed and makes
them ready, with a 'retry_promoted' event. Safe to run concurrently and repeatedly: rows another
sweep holds are skipped and the write re-checks the state.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param BatchSize How many tasks one run promotes at most (1-10000).
@access TaskQueue -> TaskEvents
@throws 50400 batch size out of range
*/
DROP FUNCTION IF EXISTS mmos.sweep_delayed_retries;
CREATE FUNCTION mmos.sweep_delayed_retries(
    p_tenant_id   text DEFAULT NULL,
    p_batch_size  integer DEFAULT 500
)
RETURNS TABLE (
    promoted_count  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_promoted integer := 0;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'batch size must be between 1 and 10000';
    END IF;

    WITH due AS (
        SELECT t.task_id
          FROM mmos.task_queue AS t
         WHERE t.status = 'retry_wait' AND t.not_before <= now() AND (p_tenant_id IS NULL OR t.tenant_id = p_tenant_id)
         ORDER BY t.not_before, t.task_id
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    ),
    promoted AS (
        UPDATE mmos.task_queue AS t
           SET status = 'ready', updated_at = now()
          FROM due
         WHERE t.task_id = due.task_id AND t.status = 'retry_wait' AND t.not_before <= now()
        RETURNING t.task_id, t.tenant_id, t.project_id, t.attempts
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT p.tenant_id, p.task_id, p.project_id, 'retry_promoted', 'retry_wait', 'ready', 'sweeper',
           format('back-off over; attempt %s may start', p.attempts + 1)
      FROM promoted AS p
     ORDER BY p.task_id;
    GET DIAGNOSTICS v_promoted = ROW_COUNT;

    RETURN QUERY SELECT v_promoted;
END;
$$;

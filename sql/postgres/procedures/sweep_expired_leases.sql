/*
@procedure SweepExpiredLeases
@summary Take back running tasks whose lease has expired: ready again, or dead after the last attempt.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. Takes up to BatchSize expired leases; a task with attempts left goes back to
ready (the expired attempt stays counted), one without is dead-lettered and its dependents are
blocked with a reason. Each gets a 'lease_expired' event. Safe to run concurrently and repeatedly:
rows another sweep holds are skipped and every write re-checks that the lease is still expired.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param BatchSize How many expired leases one run takes at most (1-10000).
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 batch size out of range
*/
DROP FUNCTION IF EXISTS mmos.sweep_expired_leases;
CREATE FUNCTION mmos.sweep_expired_leases(
    p_tenant_id   text DEFAULT NULL,
    p_batch_size  integer DEFAULT 500
)
RETURNS TABLE (
    expired_count   integer,
    requeued_count  integer,
    dead_count      integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_batch     bigint[];
    v_requeued  integer := 0;
    v_dead      integer := 0;
    r           record;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'batch size must be between 1 and 10000';
    END IF;

    -- The batch stays locked until commit; SKIP LOCKED leaves rows another sweep or a worker holds.
    WITH batch AS (
        SELECT t.task_id
          FROM mmos.task_queue AS t
         WHERE t.status = 'running' AND t.lease_expires_at < now() AND (p_tenant_id IS NULL OR t.tenant_id = p_tenant_id)
         ORDER BY t.lease_expires_at, t.task_id
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    SELECT coalesce(array_agg(b.task_id), '{}') INTO v_batch FROM batch AS b;

    WITH back AS (
        UPDATE mmos.task_queue AS t
           SET status = 'ready', claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL,
               progress_percent = NULL, progress_note = NULL, last_error = 'lease expired', updated_at = now()
         WHERE t.task_id = ANY (v_batch) AND t.attempts < t.max_attempts AND t.status = 'running' AND t.lease_expires_at < now()
        RETURNING t.task_id, t.tenant_id, t.project_id, t.attempts
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT b.tenant_id, b.task_id, b.project_id, 'lease_expired', 'running', 'ready', 'sweeper',
           format('lease expired during attempt %s; back in the queue', b.attempts)
      FROM back AS b
     ORDER BY b.task_id;
    GET DIAGNOSTICS v_requeued = ROW_COUNT;

    -- Several tasks may be dead-lettered below, each blocking its own dependents: lock all their
    -- dependents first, in task id order, so a completion unblocking some of them cannot deadlock
    -- with this sweep (mmos._lock_dependents says how).
    PERFORM mmos._lock_dependents((
        SELECT jsonb_agg(t.task_id ORDER BY t.task_id)::text
          FROM mmos.task_queue AS t
         WHERE t.task_id = ANY (v_batch) AND t.attempts >= t.max_attempts AND t.status = 'running' AND t.lease_expires_at < now()));

    FOR r IN
        SELECT t.task_id, t.tenant_id, t.project_id, t.attempts
          FROM mmos.task_queue AS t
         WHERE t.task_id = ANY (v_batch) AND t.attempts >= t.max_attempts AND t.status = 'running' AND t.lease_expires_at < now()
         ORDER BY t.task_id
    LOOP
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (r.tenant_id, r.task_id, r.project_id, 'lease_expired', 'running', 'dead', 'sweeper',
                format('lease expired during the last attempt (%s)', r.attempts));
        PERFORM mmos._dead_letter_task(r.task_id, 'sweeper', 'lease expired after the last attempt');
        v_dead := v_dead + 1;
    END LOOP;

    RETURN QUERY SELECT v_requeued + v_dead, v_requeued, v_dead;
END;
$$;

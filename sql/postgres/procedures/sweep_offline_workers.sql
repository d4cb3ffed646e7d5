/*
@procedure SweepOfflineWorkers
@summary Take workers whose heartbeat stopped offline and put their running tasks back in the queue.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. An online or draining worker whose last heartbeat is older than
HeartbeatTimeoutSeconds becomes offline; each task it was running is taken back as if its lease
had expired: ready again with the attempt counted, or dead-lettered (dependents blocked) after the
last attempt, with a 'worker_offline' event. Tasks AssignReadyTasks had given such a worker
(AssignmentSource 'auto') lose that assignment, with an 'unassigned' event, so the next routing
pass gives them to a worker that is there; the admin's manual assignments stay. Safe to run concurrently and repeatedly: worker rows
another transaction holds (a worker claiming or completing right now) are skipped until the next
run, and every write re-checks the state.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param HeartbeatTimeoutSeconds How long without a heartbeat makes a worker offline (1-86400 seconds).
@access WorkerPool -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 timeout out of range
*/
DROP FUNCTION IF EXISTS mmos.sweep_offline_workers;
CREATE FUNCTION mmos.sweep_offline_workers(
    p_tenant_id                  text DEFAULT NULL,
    p_heartbeat_timeout_seconds  integer DEFAULT 90
)
RETURNS TABLE (
    workers_offlined  integer,
    tasks_released    integer,
    dead_count        integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_offline   bigint[];
    v_batch     bigint[];
    v_requeued  integer := 0;
    v_dead      integer := 0;
    r           record;
BEGIN
    IF p_heartbeat_timeout_seconds IS NULL OR p_heartbeat_timeout_seconds NOT BETWEEN 1 AND 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'heartbeat timeout seconds must be between 1 and 86400';
    END IF;

    -- Worker rows another transaction holds (a worker claiming or completing now) wait for the next run.
    WITH stale AS (
        SELECT wp.instance_id
          FROM mmos.worker_pool AS wp
         WHERE wp.status IN ('online', 'draining') AND wp.last_heartbeat_at < now() - make_interval(secs => p_heartbeat_timeout_seconds)
           AND (p_tenant_id IS NULL OR wp.tenant_id = p_tenant_id)
         ORDER BY wp.instance_id
           FOR UPDATE SKIP LOCKED
    ),
    offlined AS (
        UPDATE mmos.worker_pool AS wp
           SET status = 'offline', offline_at = now()
          FROM stale
         WHERE wp.instance_id = stale.instance_id
        RETURNING wp.instance_id
    )
    SELECT coalesce(array_agg(o.instance_id), '{}') INTO v_offline FROM offlined AS o;

    -- The workers' rows stay locked, so none of them can claim again before this commits.
    WITH taken AS (
        SELECT t.task_id
          FROM mmos.task_queue AS t
         WHERE t.claimed_by_instance_id = ANY (v_offline) AND t.status = 'running'
         ORDER BY t.task_id
           FOR UPDATE
    )
    SELECT coalesce(array_agg(k.task_id), '{}') INTO v_batch FROM taken AS k;

    WITH back AS (
        UPDATE mmos.task_queue AS t
           SET status = 'ready', claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL,
               progress_percent = NULL, progress_note = NULL, last_error = 'worker went offline', updated_at = now()
         WHERE t.task_id = ANY (v_batch) AND t.attempts < t.max_attempts AND t.status = 'running'
        RETURNING t.task_id, t.tenant_id, t.project_id, t.attempts
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT b.tenant_id, b.task_id, b.project_id, 'worker_offline', 'running', 'ready', 'sweeper',
           format('worker stopped sending heartbeats during attempt %s; back in the queue', b.attempts)
      FROM back AS b
     ORDER BY b.task_id;
    GET DIAGNOSTICS v_requeued = ROW_COUNT;

    -- Automatic assignments to these workers are routed again by assign_ready_tasks; manual ones stay.
    WITH unassigned AS (
        UPDATE mmos.task_queue AS t
           SET assigned_instance_id = NULL, assignment_source = NULL, updated_at = now()
         WHERE t.assigned_instance_id = ANY (v_offline) AND t.assignment_source = 'auto' AND t.status IN ('blocked', 'ready', 'retry_wait')
        RETURNING t.task_id, t.tenant_id, t.project_id, t.status
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT u.tenant_id, u.task_id, u.project_id, 'unassigned', u.status, u.status, 'sweeper',
           'worker went offline: automatic assignment withdrawn, the task will be routed again'
      FROM unassigned AS u
     ORDER BY u.task_id;

    -- Several tasks may be dead-lettered below, each blocking its own dependents: lock all their
    -- dependents first, in task id order, so a completion unblocking some of them cannot deadlock
    -- with this sweep (mmos._lock_dependents says how).
    PERFORM mmos._lock_dependents((
        SELECT jsonb_agg(t.task_id ORDER BY t.task_id)::text
          FROM mmos.task_queue AS t
         WHERE t.task_id = ANY (v_batch) AND t.attempts >= t.max_attempts AND t.status = 'running'));

    FOR r IN
        SELECT t.task_id, t.tenant_id, t.project_id, t.attempts
          FROM mmos.task_queue AS t
         WHERE t.task_id = ANY (v_batch) AND t.attempts >= t.max_attempts AND t.status = 'running'
         ORDER BY t.task_id
    LOOP
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (r.tenant_id, r.task_id, r.project_id, 'worker_offline', 'running', 'dead', 'sweeper',
                format('worker stopped sending heartbeats during the last attempt (%s)', r.attempts));
        PERFORM mmos._dead_letter_task(r.task_id, 'sweeper', 'worker went offline during the last attempt');
        v_dead := v_dead + 1;
    END LOOP;

    RETURN QUERY SELECT cardinality(v_offline), v_requeued + v_dead, v_dead;
END;
$$;

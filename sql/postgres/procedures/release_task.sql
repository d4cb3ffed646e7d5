/*
@procedure ReleaseTask
@summary Give back a running task this worker will not finish (e.g. on shutdown); the attempt is not counted.
@description Accepted only from the worker holding the task's current lease. The task becomes ready
again at once for any eligible worker, its lease is cleared (the token stops being valid) and its
attempt count goes back down, since the task itself did not fail. Writes a 'released' event with
the reason.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task to give back.
@param LeaseToken The lease token ClaimNextTask returned.
@param Reason Why the task is given back (optional, up to 400 characters).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50400 oversized reason; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
DROP FUNCTION IF EXISTS mmos.release_task;
CREATE FUNCTION mmos.release_task(
    p_tenant_id    text,
    p_caller_id    text,
    p_task_id      bigint,
    p_lease_token  uuid,
    p_reason       text DEFAULT NULL
)
RETURNS TABLE (
    task_id   bigint,
    status    text,
    attempts  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    PERFORM mmos._check_text('reason', p_reason, 400, false);

    SELECT mi.instance_id INTO v_instance_id FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
    END IF;

    UPDATE mmos.worker_pool AS wp SET last_heartbeat_at = now() WHERE wp.instance_id = v_instance_id;
    PERFORM mmos._check_lease(p_tenant_id, p_task_id, v_instance_id, p_lease_token);

    UPDATE mmos.task_queue AS t
       SET status = 'ready', attempts = CASE WHEN t.attempts > 0 THEN t.attempts - 1 ELSE 0 END,
           claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL,
           progress_percent = NULL, progress_note = NULL, not_before = now(), updated_at = now()
     WHERE t.task_id = p_task_id AND t.status = 'running' AND t.lease_token = p_lease_token;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT t.tenant_id, t.task_id, t.project_id, 'released', 'running', 'ready', p_caller_id,
           coalesce(p_reason, 'released by the worker; the attempt is not counted')
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;

    RETURN QUERY
    SELECT t.task_id, t.status::text, t.attempts
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

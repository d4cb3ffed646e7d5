/*
@procedure ReportProgress
@summary Report progress on a running task and extend its lease.
@description Only the worker holding the task's current lease may report, presenting the lease
token its claim returned. Each report extends the lease to LeaseSeconds from now, so a long task
stays leased as long as its worker keeps reporting, and refreshes the worker's heartbeat. A NULL
percent or note keeps the previous value. Writes a 'progress' event.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task being worked on.
@param LeaseToken The lease token ClaimNextTask returned.
@param ProgressPercent How far the task is, 0-100 (optional).
@param Note A short note on what is happening (optional, up to 1000 characters).
@param LeaseSeconds New lease length from now (1-86400 seconds).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50400 percent, note or lease seconds out of range; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
DROP FUNCTION IF EXISTS mmos.report_progress;
CREATE FUNCTION mmos.report_progress(
    p_tenant_id         text,
    p_caller_id         text,
    p_task_id           bigint,
    p_lease_token       uuid,
    p_progress_percent  integer DEFAULT NULL,
    p_note              text DEFAULT NULL,
    p_lease_seconds     integer DEFAULT 300
)
RETURNS TABLE (
    task_id           bigint,
    status            text,
    progress_percent  integer,
    lease_expires_at  timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    IF p_progress_percent IS NOT NULL AND p_progress_percent NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'progress percent must be between 0 and 100';
    END IF;
    PERFORM mmos._check_text('note', p_note, 1000, false);
    IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'lease seconds must be between 1 and 86400';
    END IF;

    SELECT mi.instance_id INTO v_instance_id FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
    END IF;

    UPDATE mmos.worker_pool AS wp SET last_heartbeat_at = now() WHERE wp.instance_id = v_instance_id;
    PERFORM mmos._check_lease(p_tenant_id, p_task_id, v_instance_id, p_lease_token);

    UPDATE mmos.task_queue AS t
       SET progress_percent = coalesce(p_progress_percent, t.progress_percent), progress_note = coalesce(p_note, t.progress_note),
           lease_expires_at = now() + make_interval(secs => p_lease_seconds), updated_at = now()
     WHERE t.task_id = p_task_id AND t.status = 'running' AND t.lease_token = p_lease_token;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT t.tenant_id, t.task_id, t.project_id, 'progress', 'running', 'running', p_caller_id,
           CASE WHEN t.progress_percent IS NULL THEN p_note ELSE t.progress_percent || '%' || coalesce(' ' || p_note, '') END
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;

    RETURN QUERY
    SELECT t.task_id, t.status::text, t.progress_percent, t.lease_expires_at
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

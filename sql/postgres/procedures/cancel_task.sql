/*
@procedure CancelTask
@summary Cancel a task and every task that depends on it, directly or through others, and is not done.
@description Cancelled is final. The walk follows the dependencies down from the task, each task
once however many paths lead to it. A running task loses its lease, so its worker's later
complete, fail or progress report is refused. Each cancelled task gets a 'cancelled' event carrying
the reason. When no task of the project is left to do, the project becomes completed (as when the
last task completes). Refused for a task that is already done or cancelled.
@roles admin
@toolset orchestrator
@writes true
@destructive true
@idempotent false
@param TaskId The task to cancel, with its dependents.
@param Reason Why (up to 400 characters); kept in the task events.
@access WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 oversized reason; 50404 unknown task; 50409 task already done or cancelled
*/
DROP FUNCTION IF EXISTS mmos.cancel_task;
CREATE FUNCTION mmos.cancel_task(
    p_tenant_id  text,
    p_caller_id  text,
    p_task_id    bigint,
    p_reason     text DEFAULT NULL
)
RETURNS TABLE (
    task_id          bigint,
    task_key         text,
    previous_status  text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_project_id  bigint;
    v_status      text;
    v_task_key    text;
    v_ids         bigint[];
    v_previous    text[];
BEGIN
    PERFORM mmos._check_text('caller id', p_caller_id, 100, true);
    PERFORM mmos._check_text('reason', p_reason, 400, false);

    SELECT t.project_id INTO v_project_id FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id;
    IF v_project_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;
    -- The project first (the global order); its "anything left to do?" check below then runs one
    -- at a time with the completions of the same project.
    PERFORM 1 FROM mmos.work_sessions AS ws WHERE ws.project_id = v_project_id FOR UPDATE;
    SELECT t.status, t.task_key INTO v_status, v_task_key FROM mmos.task_queue AS t WHERE t.task_id = p_task_id FOR UPDATE;
    IF v_status IN ('done', 'cancelled') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('task %s is already %s', p_task_id, v_status);
    END IF;

    -- UNION (not UNION ALL) visits each dependent once however many paths lead to it; the walk
    -- stops at tasks that are done or cancelled already.
    WITH RECURSIVE walk (task_id) AS (
        SELECT p_task_id
        UNION
        SELECT td.task_id
          FROM walk AS w
          JOIN mmos.task_dependencies AS td ON td.depends_on_task_id = w.task_id
          JOIN mmos.task_queue AS t ON t.task_id = td.task_id
         WHERE t.status NOT IN ('done', 'cancelled')
    ),
    locked AS (
        SELECT t.task_id, t.status
          FROM mmos.task_queue AS t
         WHERE t.task_id IN (SELECT w.task_id FROM walk AS w) AND t.status NOT IN ('done', 'cancelled')
         ORDER BY t.task_id
           FOR UPDATE
    )
    SELECT coalesce(array_agg(l.task_id ORDER BY l.task_id), '{}'), coalesce(array_agg(l.status::text ORDER BY l.task_id), '{}')
      INTO v_ids, v_previous
      FROM locked AS l;

    UPDATE mmos.task_queue AS t
       SET status = 'cancelled', lease_token = NULL, lease_expires_at = NULL, updated_at = now()
     WHERE t.task_id = ANY (v_ids);

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT p_tenant_id, c.task_id, v_project_id, 'cancelled', c.previous_status, 'cancelled', p_caller_id,
           CASE WHEN c.task_id = p_task_id THEN p_reason
                ELSE concat('dependency ', v_task_key, ' cancelled', CASE WHEN p_reason IS NULL THEN '' ELSE ': ' || p_reason END) END
      FROM unnest(v_ids, v_previous) AS c(task_id, previous_status)
     ORDER BY c.task_id;

    IF NOT EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.project_id = v_project_id AND t.status NOT IN ('done', 'cancelled')) THEN
        UPDATE mmos.work_sessions AS ws SET status = 'completed', completed_at = now() WHERE ws.project_id = v_project_id AND ws.status = 'active';
    END IF;

    RETURN QUERY
    SELECT c.task_id, t.task_key::text, c.previous_status
      FROM unnest(v_ids, v_previous) AS c(task_id, previous_status)
      JOIN mmos.task_queue AS t ON t.task_id = c.task_id
     ORDER BY c.task_id;
END;
$$;

/*
@procedure RedriveTask
@summary Give a dead-lettered task a fresh start: ready again with its attempts reset.
@description Only for a task in the dead letter state ('dead'). It becomes ready with zero attempts
(and a new attempt limit when given) and its last error is cleared. Its dependents, directly or
not, lose the reason 'dependency <key> failed' this failure gave them; they stay blocked until
their dependencies are done, and one still blocked by another dead task of the project gets that
task's reason instead. ClearedDependents counts the dependents no longer blocked by any failure.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param TaskId The dead task to redrive.
@param MaxAttempts A new attempt limit, 1-100 (optional; the old one stays otherwise).
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 max attempts out of range; 50404 task not found; 50409 task is not dead
*/
DROP FUNCTION IF EXISTS mmos.redrive_task;
CREATE FUNCTION mmos.redrive_task(
    p_tenant_id     text,
    p_caller_id     text,
    p_task_id       bigint,
    p_max_attempts  integer DEFAULT NULL
)
RETURNS TABLE (
    task_id             bigint,
    status              text,
    cleared_dependents  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_status      text;
    v_project_id  bigint;
    v_reason      text;
    v_unmarked    bigint[];
    v_dead_id     bigint;
    v_cleared     integer := 0;
BEGIN
    IF p_max_attempts IS NOT NULL AND p_max_attempts NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'max attempts must be between 1 and 100';
    END IF;

    SELECT t.status, t.project_id, left(format('dependency %s failed', t.task_key), 400)
      INTO v_status, v_project_id, v_reason
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;
    IF v_status <> 'dead' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('task %s is %s, not dead: only dead-lettered tasks can be redriven', p_task_id, v_status);
    END IF;

    UPDATE mmos.task_queue AS t
       SET status = 'ready', attempts = 0, max_attempts = coalesce(p_max_attempts, t.max_attempts), last_error = NULL,
           blocked_reason = NULL, not_before = now(), updated_at = now()
     WHERE t.task_id = p_task_id AND t.status = 'dead';
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    VALUES (p_tenant_id, p_task_id, v_project_id, 'redriven', 'dead', 'ready', p_caller_id, NULL);

    -- The loop further down re-blocks dependents of the project's other dead tasks, set by set: lock
    -- all those sets and this task's own dependents first, in TaskId order (_lock_dependents says why).
    PERFORM mmos._lock_dependents((
        SELECT jsonb_agg(t.task_id ORDER BY t.task_id)::text
          FROM mmos.task_queue AS t
         WHERE t.project_id = v_project_id AND (t.status = 'dead' OR t.task_id = p_task_id)));

    -- Every dependent, each once (UNION), locked in TaskId order, then cleared of this failure's reason.
    WITH RECURSIVE dependents (task_id) AS (
        SELECT td.task_id FROM mmos.task_dependencies AS td WHERE td.depends_on_task_id = p_task_id
        UNION
        SELECT td.task_id FROM mmos.task_dependencies AS td JOIN dependents AS d ON td.depends_on_task_id = d.task_id
    ),
    locked AS (
        SELECT t.task_id
          FROM mmos.task_queue AS t
         WHERE t.task_id IN (SELECT d.task_id FROM dependents AS d) AND t.status = 'blocked' AND t.blocked_reason = v_reason
         ORDER BY t.task_id
           FOR UPDATE
    )
    SELECT coalesce(array_agg(l.task_id), '{}') INTO v_unmarked FROM locked AS l;

    UPDATE mmos.task_queue AS t
       SET blocked_reason = NULL, updated_at = now()
     WHERE t.task_id = ANY (v_unmarked);

    -- A dependent may also sit below another dead task: give it that task's reason back.
    IF cardinality(v_unmarked) > 0 THEN
        FOR v_dead_id IN
            SELECT t.task_id FROM mmos.task_queue AS t WHERE t.project_id = v_project_id AND t.status = 'dead' ORDER BY t.task_id
        LOOP
            PERFORM mmos._block_dependents(v_dead_id, p_caller_id);
        END LOOP;
    END IF;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT t.tenant_id, t.task_id, t.project_id, 'failure_cleared', 'blocked', 'blocked', p_caller_id,
           format('dependency %s redriven', p_task_id)
      FROM mmos.task_queue AS t
     WHERE t.task_id = ANY (v_unmarked) AND t.blocked_reason IS NULL
     ORDER BY t.task_id;
    GET DIAGNOSTICS v_cleared = ROW_COUNT;

    RETURN QUERY
    SELECT t.task_id, t.status::text, v_cleared
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

/*
@procedure GetTaskHistory
@summary Every event of one task, oldest first: who changed what, when, and why.
@description One row per TaskEvents row of the task: creation, assignment (with the router's
reason), claims (attempt n of m), progress, completion, reviews ('review_approved' with the note,
'changes_requested' with the feedback), failures and retries, lease expiry, release, dead letter,
redrive. Actor is the worker id, the admin, 'router' (AssignReadyTasks) or 'sweeper'.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param TaskId The task whose history to read.
@access TaskQueue -> TaskEvents
@throws 50404 unknown task
*/
DROP FUNCTION IF EXISTS mmos.get_task_history;
CREATE FUNCTION mmos.get_task_history(
    p_tenant_id  text,
    p_task_id    bigint
)
RETURNS TABLE (
    event_id     bigint,
    event_type   text,
    from_status  text,
    to_status    text,
    actor        text,
    detail       text,
    created_at   timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;

    RETURN QUERY
    SELECT e.event_id, e.event_type::text, e.from_status::text, e.to_status::text, e.actor::text, e.detail::text, e.created_at
      FROM mmos.task_events AS e
     WHERE e.task_id = p_task_id AND e.tenant_id = p_tenant_id
     ORDER BY e.event_id;
END;
$$;

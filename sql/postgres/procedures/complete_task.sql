/*
@procedure CompleteTask
@summary Complete a running task with its result; unblocks the tasks that were waiting for it.
@description Accepted only from the worker holding the task's current lease (the token its claim
returned); anything else is refused and changes nothing. The task becomes 'done', or 'review' when
it requires review (its dependents then wait for the approval). The result is kept for the tasks
that depend on this one: they receive it in their claim. Records tokens and cost (reported cost,
else computed from the worker's prices, else none), counts the completion for the worker, and,
for a 'done' task, makes ready each direct dependent that has no other unfinished dependency.
When every task of the project is done or cancelled, the project becomes completed.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task being completed.
@param LeaseToken The lease token ClaimNextTask returned.
@param Result What the task produced (up to 100,000 characters); dependents receive it.
@param TokensIn Input tokens the attempt used (optional).
@param TokensOut Output tokens the attempt used (optional).
@param CostUsd What the attempt cost in USD, when the agent reports it (optional).
@access ModelInstances -> WorkerPool -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized result, negative tokens or cost; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
DROP FUNCTION IF EXISTS mmos.complete_task;
CREATE FUNCTION mmos.complete_task(
    p_tenant_id    text,
    p_caller_id    text,
    p_task_id      bigint,
    p_lease_token  uuid,
    p_result       text,
    p_tokens_in    bigint DEFAULT NULL,
    p_tokens_out   bigint DEFAULT NULL,
    p_cost_usd     numeric(14,6) DEFAULT NULL
)
RETURNS TABLE (
    task_id          bigint,
    status           text,
    unblocked_count  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id  bigint;
    v_project_id   bigint;
    v_new_status   text;
    v_unblocked    integer := 0;
BEGIN
    PERFORM mmos._check_text('result', p_result, 100000, true);
    IF p_tokens_in < 0 OR p_tokens_out < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'token counts must be zero or more';
    END IF;
    IF p_cost_usd < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'cost must be zero or more';
    END IF;

    SELECT mi.instance_id INTO v_instance_id FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
    END IF;
    -- A task never changes project, so reading it first is safe; it lets the project row be locked
    -- before the task row, in the global table order.
    SELECT t.project_id INTO v_project_id FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id;

    UPDATE mmos.worker_pool AS wp SET last_heartbeat_at = now() WHERE wp.instance_id = v_instance_id;
    -- Completions in one project run their "was this the last task?" check one at a time. NO KEY
    -- UPDATE: foreign-key checks of other transactions (usage rows, new tasks) are not held up.
    PERFORM 1 FROM mmos.work_sessions AS ws WHERE ws.project_id = v_project_id FOR NO KEY UPDATE;
    PERFORM mmos._check_lease(p_tenant_id, p_task_id, v_instance_id, p_lease_token);

    SELECT CASE WHEN t.requires_review THEN 'review' ELSE 'done' END INTO v_new_status FROM mmos.task_queue AS t WHERE t.task_id = p_task_id;
    UPDATE mmos.task_queue AS t
       SET status = v_new_status, result = p_result, completed_at = now(), updated_at = now(), lease_token = NULL, lease_expires_at = NULL,
           progress_percent = 100, blocked_reason = NULL, last_error = NULL
     WHERE t.task_id = p_task_id AND t.status = 'running' AND t.lease_token = p_lease_token;
    UPDATE mmos.worker_pool AS wp SET tasks_completed = wp.tasks_completed + 1 WHERE wp.instance_id = v_instance_id;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    VALUES (p_tenant_id, p_task_id, v_project_id, 'completed', 'running', v_new_status, p_caller_id, NULL);

    IF v_new_status = 'done' THEN
        v_unblocked := mmos._unblock_dependents(p_task_id, p_caller_id);
        IF NOT EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.project_id = v_project_id AND t.status NOT IN ('done', 'cancelled')) THEN
            UPDATE mmos.work_sessions AS ws SET status = 'completed', completed_at = now() WHERE ws.project_id = v_project_id AND ws.status = 'active';
        END IF;
    END IF;

    PERFORM mmos._record_usage(p_tenant_id, v_project_id, p_task_id, v_instance_id, p_tokens_in, p_tokens_out, p_cost_usd);

    RETURN QUERY
    SELECT t.task_id, t.status::text, v_unblocked
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

/*
@procedure ReviewTask
@summary Approve a task waiting in review, or send it back with feedback; never by the worker that did it.
@description For a task in 'review' (a task that requires review goes there when it is completed).
Who may review: the admin, or a registered worker with the 'review' capability; never the task's
author, the worker whose attempt completed it (error 50403). Approve: the task becomes 'done', each
task waiting for it becomes ready when nothing else holds it, and the project completes when this
was its last open task. Request changes (Approve false, Feedback required): the rejected attempt
stays counted (its claim counted it); while attempts remain the task goes back to 'ready', to the
worker it is assigned to if any, and the next claim returns the feedback in ReviewFeedback; after
the last allowed attempt it is dead-lettered as a failed task would be (its dependents stay blocked
with a reason; RedriveTask gives it fresh attempts). Every review is an event in the task's history:
'review_approved' (Detail: the optional note) or 'changes_requested' (Detail: the feedback).
@roles admin, worker
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param TaskId The task in review.
@param Approve True accepts the result; false requests changes.
@param Feedback What to change (required when requesting changes; up to 20000 characters). With an approval, an optional note kept in the history.
@access ModelInstances -> ModelInstanceCapabilities -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 approve missing, feedback missing when requesting changes, feedback too long; 50403 caller is neither the admin nor a worker with the review capability, or is the task's author; 50404 unknown task or worker; 50409 task not in review
*/
DROP FUNCTION IF EXISTS mmos.review_task;
CREATE FUNCTION mmos.review_task(
    p_tenant_id    text,
    p_caller_id    text,
    p_caller_role  text,
    p_task_id      bigint,
    p_approve      boolean,
    p_feedback     text DEFAULT NULL
)
RETURNS TABLE (
    task_id          bigint,
    status           text,
    attempts         integer,
    max_attempts     integer,
    review_feedback  text,
    unblocked_count  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_reviewer_instance_id  bigint;
    v_project_id            bigint;
    v_status                text;
    v_author_id             text;
    v_attempts              integer;
    v_max_attempts          integer;
    v_unblocked             integer := 0;
BEGIN
    PERFORM mmos._check_text('caller id', p_caller_id, 100, true);
    IF p_task_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'task id is empty';
    END IF;
    IF p_approve IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'approve is empty: true approves the result, false requests changes';
    END IF;
    -- Lengths without trailing spaces, as the twin's LEN measures them.
    IF NOT p_approve AND (p_feedback IS NULL OR length(rtrim(p_feedback, ' ')) = 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'feedback is empty: requesting changes needs feedback that says what to change';
    END IF;
    PERFORM mmos._check_text('feedback', p_feedback, 20000, false);

    -- Who may review: the admin, or a registered worker with the review capability.
    IF p_caller_role = 'worker' THEN
        SELECT mi.instance_id INTO v_reviewer_instance_id
          FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
        IF v_reviewer_instance_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM mmos.model_instance_capabilities AS c WHERE c.instance_id = v_reviewer_instance_id AND c.capability = 'review') THEN
            RAISE EXCEPTION USING ERRCODE = 'MM403', MESSAGE = format('worker %s may not review: it does not have the review capability', p_caller_id);
        END IF;
    ELSIF coalesce(p_caller_role, '') <> 'admin' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM403',
            MESSAGE = format('the %s role may not review: only the admin or a worker with the review capability may', coalesce(p_caller_role, '(no)'));
    END IF;

    -- A task never changes project, so reading it first is safe; it lets the project row be locked
    -- before the task row, in the global table order.
    SELECT t.project_id INTO v_project_id FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id;
    IF v_project_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;

    -- Reviews and completions in one project run their "was this the last task?" check one at a time.
    PERFORM 1 FROM mmos.work_sessions AS ws WHERE ws.project_id = v_project_id FOR UPDATE;
    SELECT t.status, t.attempts, t.max_attempts INTO v_status, v_attempts, v_max_attempts
      FROM mmos.task_queue AS t WHERE t.task_id = p_task_id FOR UPDATE;
    SELECT a.worker_id INTO v_author_id
      FROM mmos.task_queue AS t
      JOIN mmos.model_instances AS a ON a.instance_id = t.claimed_by_instance_id
     WHERE t.task_id = p_task_id;
    IF v_status <> 'review' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('task %s is %s, not in review', p_task_id, v_status);
    END IF;
    -- The author is the worker whose attempt completed the task (the claim that is still on it).
    IF v_author_id = p_caller_id THEN
        RAISE EXCEPTION USING ERRCODE = 'MM403',
            MESSAGE = format('worker %s completed task %s and may not review its own work', p_caller_id, p_task_id);
    END IF;

    IF p_approve THEN
        UPDATE mmos.task_queue AS t
           SET status = 'done', completed_at = now(), updated_at = now()
         WHERE t.task_id = p_task_id AND t.status = 'review';
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (p_tenant_id, p_task_id, v_project_id, 'review_approved', 'review', 'done', p_caller_id, left(p_feedback, 4000));

        v_unblocked := mmos._unblock_dependents(p_task_id, p_caller_id);
        IF NOT EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.project_id = v_project_id AND t.status NOT IN ('done', 'cancelled')) THEN
            UPDATE mmos.work_sessions AS ws SET status = 'completed', completed_at = now() WHERE ws.project_id = v_project_id AND ws.status = 'active';
        END IF;
    ELSIF v_attempts < v_max_attempts THEN
        UPDATE mmos.task_queue AS t
           SET status = 'ready', review_feedback = p_feedback, claimed_by_instance_id = NULL, completed_at = NULL,
               progress_percent = NULL, progress_note = NULL, not_before = now(), updated_at = now()
         WHERE t.task_id = p_task_id AND t.status = 'review';
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (p_tenant_id, p_task_id, v_project_id, 'changes_requested', 'review', 'ready', p_caller_id, left(p_feedback, 4000));
    ELSE
        -- The last allowed attempt was rejected: dead letter, as fail_task does.
        UPDATE mmos.task_queue AS t SET review_feedback = p_feedback, updated_at = now() WHERE t.task_id = p_task_id;
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (p_tenant_id, p_task_id, v_project_id, 'changes_requested', 'review', 'dead', p_caller_id, left(p_feedback, 4000));
        PERFORM mmos._dead_letter_task(p_task_id, p_caller_id,
            left(format('changes requested after the last attempt (%s of %s): %s', v_attempts, v_max_attempts, p_feedback), 4000));
    END IF;

    RETURN QUERY
    SELECT t.task_id, t.status::text, t.attempts, t.max_attempts, t.review_feedback, v_unblocked
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

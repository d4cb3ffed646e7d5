/*
@procedure GetTask
@summary Everything about one task: what to do, its state, its dependencies, its result or error.
@description The task's key, title, description, type, phase, priority and complexity; its status
(and why it is blocked, with the number of unmet dependencies), the worker holding or having run it
and the worker it is assigned to (AssignmentSource: 'manual' by the admin, 'auto' by
AssignReadyTasks), the worker the plan preferred, RoutingNote (why no worker was assigned, e.g.
'budget spent: premium models excluded'), the lease end, attempts, not-before time, progress, result, last
error and review feedback; DependsOn (JSON array of the task ids it waits for) and
RequiredCapabilities (JSON array of names). The lease token is never shown: only the claim gives it.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param TaskId The task to read.
@access ModelInstances -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities
@throws 50404 unknown task
*/
DROP FUNCTION IF EXISTS mmos.get_task;
CREATE FUNCTION mmos.get_task(
    p_tenant_id  text,
    p_task_id    bigint
)
RETURNS TABLE (
    task_id                bigint,
    project_id             bigint,
    project_name           text,
    task_key               text,
    title                  text,
    description            text,
    task_type              text,
    phase                  text,
    priority               integer,
    complexity             text,
    status                 text,
    blocked_reason         text,
    unmet_dependencies     integer,
    worker_id              text,
    assigned_worker_id     text,
    assignment_source      text,
    preferred_worker_id    text,
    routing_note           text,
    lease_expires_at       timestamptz,
    attempts               integer,
    max_attempts           integer,
    not_before             timestamptz,
    progress_percent       integer,
    progress_note          text,
    result                 text,
    last_error             text,
    requires_review        boolean,
    review_feedback        text,
    depends_on             jsonb,
    required_capabilities  jsonb,
    created_by             text,
    created_at             timestamptz,
    started_at             timestamptz,
    completed_at           timestamptz,
    updated_at             timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;

    RETURN QUERY
    SELECT t.task_id, t.project_id, ws.project_name::text, t.task_key::text, t.title::text, t.description, t.task_type::text,
           t.phase::text, t.priority, t.complexity::text, t.status::text, t.blocked_reason::text, t.unmet_dependencies,
           claimed.worker_id::text, assigned.worker_id::text, t.assignment_source::text, preferred.worker_id::text,
           t.routing_note::text, t.lease_expires_at, t.attempts, t.max_attempts, t.not_before,
           t.progress_percent, t.progress_note::text, t.result, t.last_error::text, t.requires_review, t.review_feedback,
           coalesce((SELECT jsonb_agg(d.depends_on_task_id ORDER BY d.depends_on_task_id)
                       FROM mmos.task_dependencies AS d WHERE d.task_id = t.task_id), '[]'::jsonb),
           coalesce((SELECT jsonb_agg(c.capability ORDER BY c.capability)
                       FROM mmos.task_required_capabilities AS c WHERE c.task_id = t.task_id), '[]'::jsonb),
           t.created_by::text, t.created_at, t.started_at, t.completed_at, t.updated_at
      FROM mmos.task_queue AS t
      JOIN mmos.work_sessions AS ws ON ws.project_id = t.project_id
      LEFT JOIN mmos.model_instances AS claimed ON claimed.instance_id = t.claimed_by_instance_id
      LEFT JOIN mmos.model_instances AS assigned ON assigned.instance_id = t.assigned_instance_id
      LEFT JOIN mmos.model_instances AS preferred ON preferred.instance_id = t.preferred_instance_id
     WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id;
END;
$$;

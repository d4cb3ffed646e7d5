/*
@procedure GetProjectStatus
@summary One project's tasks with their state, plus the project's counts and progress on every row.
@description One row per task, in task id order: key, title, type, phase, status (and why it is
blocked; RoutingNote: why no worker was assigned, e.g. 'budget spent: premium models excluded'), priority, the worker that holds or ran it (else the worker it is assigned to), attempts
and progress. Every row repeats the project's figures: name, status, progress (done among the tasks
that are not cancelled), how many tasks are blocked, ready, running, in review, done, failed
(waiting to retry or dead) and cancelled, and the current phase (that of the oldest task not yet
done or cancelled; empty when all are). A project without tasks gives one row whose task columns
are empty. Workers may read the project they work on.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param ProjectId The project to report on.
@access WorkSessions -> TaskQueue
@throws 50404 unknown project
*/
DROP FUNCTION IF EXISTS mmos.get_project_status;
CREATE FUNCTION mmos.get_project_status(
    p_tenant_id   text,
    p_project_id  bigint
)
RETURNS TABLE (
    task_id                   bigint,
    task_key                  text,
    title                     text,
    task_type                 text,
    phase                     text,
    status                    text,
    blocked_reason            text,
    routing_note              text,
    unmet_dependencies        integer,
    priority                  integer,
    worker_id                 text,
    attempts                  integer,
    max_attempts              integer,
    progress_percent          integer,
    project_name              text,
    project_status            text,
    project_progress_percent  integer,
    task_count                integer,
    blocked_count             integer,
    ready_count               integer,
    running_count             integer,
    review_count              integer,
    done_count                integer,
    failed_count              integer,
    cancelled_count           integer,
    current_phase             text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_project_name   text;
    v_project_status text;
    v_task_count     integer;
    v_blocked        integer;
    v_ready          integer;
    v_running        integer;
    v_review         integer;
    v_done           integer;
    v_failed         integer;
    v_cancelled      integer;
    v_current_phase  text;
BEGIN
    SELECT ws.project_name, ws.status INTO v_project_name, v_project_status
      FROM mmos.work_sessions AS ws
     WHERE ws.project_id = p_project_id AND ws.tenant_id = p_tenant_id;
    IF v_project_name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('project %s not found', p_project_id);
    END IF;

    SELECT count(*)::integer,
           coalesce(sum(CASE WHEN t.status = 'blocked' THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status = 'ready' THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status = 'running' THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status = 'review' THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status IN ('retry_wait', 'dead') THEN 1 ELSE 0 END), 0)::integer,
           coalesce(sum(CASE WHEN t.status = 'cancelled' THEN 1 ELSE 0 END), 0)::integer
      INTO v_task_count, v_blocked, v_ready, v_running, v_review, v_done, v_failed, v_cancelled
      FROM mmos.task_queue AS t
     WHERE t.project_id = p_project_id;

    SELECT t.phase INTO v_current_phase
      FROM mmos.task_queue AS t
     WHERE t.project_id = p_project_id AND t.status NOT IN ('done', 'cancelled')
     ORDER BY t.task_id
     LIMIT 1;

    RETURN QUERY
    SELECT t.task_id, t.task_key::text, t.title::text, t.task_type::text, t.phase::text, t.status::text, t.blocked_reason::text,
           t.routing_note::text, t.unmet_dependencies, t.priority, coalesce(claimed.worker_id, assigned.worker_id)::text, t.attempts, t.max_attempts,
           t.progress_percent,
           v_project_name, v_project_status,
           CASE WHEN v_task_count - v_cancelled = 0 THEN 0 ELSE v_done * 100 / (v_task_count - v_cancelled) END,
           v_task_count, v_blocked, v_ready, v_running, v_review, v_done, v_failed, v_cancelled, v_current_phase
      FROM mmos.work_sessions AS ws
      LEFT JOIN mmos.task_queue AS t ON t.project_id = ws.project_id
      LEFT JOIN mmos.model_instances AS claimed ON claimed.instance_id = t.claimed_by_instance_id
      LEFT JOIN mmos.model_instances AS assigned ON assigned.instance_id = t.assigned_instance_id
     WHERE ws.project_id = p_project_id
     ORDER BY t.task_id;
END;
$$;

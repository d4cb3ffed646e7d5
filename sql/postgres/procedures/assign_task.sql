/*
@procedure AssignTask
@summary Assign a task to a named worker: that worker's next claim takes it first, and no other worker takes it.
@description For a task that is blocked, ready or waiting to retry. The worker must be online and
have every capability the task requires and a quality tier that covers the task's complexity (low
1, medium 2, high 3), and may not be premium (tier 3) once the project's recorded cost has reached
its budget (otherwise the task could never be claimed). Assigning again moves the task to the new
worker. A manual assignment (AssignmentSource 'manual') is never changed by automatic routing
(AssignReadyTasks) nor by the offline sweep, and clears the task's RoutingNote. The task keeps its place in the dependency order: a
blocked task is claimed once its dependencies are done.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent true
@param TaskId The task to assign.
@param WorkerId The worker id of the worker that should run it.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized worker id; 50404 unknown task or worker; 50409 task not blocked, ready or retry_wait, worker not online, worker lacks a required capability or the tier the task needs, premium worker while the project's budget is spent
*/
DROP FUNCTION IF EXISTS mmos.assign_task;
CREATE FUNCTION mmos.assign_task(
    p_tenant_id  text,
    p_caller_id  text,
    p_task_id    bigint,
    p_worker_id  text
)
RETURNS TABLE (
    task_id             bigint,
    task_key            text,
    status              text,
    assigned_worker_id  text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id    bigint;
    v_worker_status  text;
    v_status         text;
    v_missing        text;
    v_quality_tier   integer;
    v_needed_tier    integer;
    v_project_id     bigint;
BEGIN
    PERFORM mmos._check_text('caller id', p_caller_id, 100, true);
    PERFORM mmos._check_text('worker id', p_worker_id, 100, true);

    SELECT mi.instance_id, wp.status, mi.quality_tier INTO v_instance_id, v_worker_status, v_quality_tier
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_worker_id;

    SELECT t.status, t.project_id, CASE t.complexity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END
      INTO v_status, v_project_id, v_needed_tier
      FROM mmos.task_queue AS t WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id FOR UPDATE;
    IF v_status IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_worker_id);
    END IF;
    IF v_status NOT IN ('blocked', 'ready', 'retry_wait') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409',
            MESSAGE = format('task %s is %s; only blocked, ready or retry_wait tasks can be assigned', p_task_id, v_status);
    END IF;
    IF v_worker_status <> 'online' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('worker %s is %s, not online', p_worker_id, v_worker_status);
    END IF;
    -- The claim takes only tasks whose capabilities the worker has: an assignment it could never
    -- claim would hold the task forever.
    SELECT rc.capability INTO v_missing
      FROM mmos.task_required_capabilities AS rc
     WHERE rc.task_id = p_task_id
       AND NOT EXISTS (SELECT 1 FROM mmos.model_instance_capabilities AS mc WHERE mc.instance_id = v_instance_id AND mc.capability = rc.capability)
     ORDER BY rc.capability
     LIMIT 1;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409',
            MESSAGE = format('worker %s lacks capability "%s", which task %s requires', p_worker_id, v_missing, p_task_id);
    END IF;
    IF v_quality_tier < v_needed_tier THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409',
            MESSAGE = format('worker %s has quality tier %s; task %s needs tier %s or more', p_worker_id, v_quality_tier, p_task_id, v_needed_tier);
    END IF;
    IF v_quality_tier = 3
       AND EXISTS (SELECT 1 FROM mmos.work_sessions AS ws
                    WHERE ws.project_id = v_project_id AND ws.budget_usd IS NOT NULL
                      AND ws.budget_usd <= (SELECT coalesce(sum(u.cost_usd), 0) FROM mmos.usage_records AS u WHERE u.project_id = ws.project_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409',
            MESSAGE = format('budget spent: project %s no longer takes premium workers such as %s (tier 3)', v_project_id, p_worker_id);
    END IF;

    UPDATE mmos.task_queue AS t
       SET assigned_instance_id = v_instance_id, assignment_source = 'manual', routing_note = NULL, updated_at = now()
     WHERE t.task_id = p_task_id AND t.status IN ('blocked', 'ready', 'retry_wait');

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT t.tenant_id, t.task_id, t.project_id, 'assigned', t.status, t.status, p_caller_id, format('assigned to %s', p_worker_id)
      FROM mmos.task_queue AS t WHERE t.task_id = p_task_id;

    RETURN QUERY
    SELECT t.task_id, t.task_key::text, t.status::text, mi.worker_id::text
      FROM mmos.task_queue AS t
      JOIN mmos.model_instances AS mi ON mi.instance_id = t.assigned_instance_id
     WHERE t.task_id = p_task_id;
END;
$$;

/*
@procedure ClaimNextTask
@summary Claim the next task this worker may run, under a lease; no row when there is nothing to do.
@description Hands out one ready task whose not-before time has passed, whose project is active,
whose required capabilities are all among the worker's, whose complexity the worker's quality tier
covers (low needs tier 1, medium 2, high 3), and which is assigned to nobody or to this worker (a
task assigned to another worker is never taken); a premium worker (tier 3) takes nothing from a
project whose recorded cost has reached its budget. Order: tasks assigned to this worker first
(AssignReadyTasks or the admin put them there), then higher priority, then older tasks; a worker
with nothing assigned still takes an unassigned task, so work flows before routing has run.
Claiming clears the task's RoutingNote. The claim refreshes the worker's heartbeat, never
takes the worker beyond its capacity, counts an attempt, and returns a lease token that progress,
complete, fail and release must present; the lease lasts LeaseSeconds and each progress report
extends it. The row carries the results of the task's dependencies (DependencyResults: JSON array
of {taskId, taskKey, title, result}). A draining or offline worker gets no row rather than an
error: a worker loop handles "nothing to do" and "take no more work" the same way, and a draining
worker keeps its heartbeat fresh while it finishes what it holds. An offline worker comes back with
Heartbeat or RegisterWorker.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param LeaseSeconds How long the lease lasts (1-86400 seconds) before the sweep takes the task back.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 lease seconds out of range; 50404 unknown worker
*/
DROP FUNCTION IF EXISTS mmos.claim_next_task;
CREATE FUNCTION mmos.claim_next_task(
    p_tenant_id      text,
    p_caller_id      text,
    p_lease_seconds  integer DEFAULT 300
)
RETURNS TABLE (
    task_id             bigint,
    project_id          bigint,
    task_key            text,
    title               text,
    description         text,
    task_type           text,
    phase               text,
    priority            integer,
    complexity          text,
    attempts            integer,
    max_attempts        integer,
    lease_token         uuid,
    lease_expires_at    timestamptz,
    review_feedback     text,
    dependency_results  jsonb
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id    bigint;
    v_quality_tier   integer;
    v_worker_status  text;
    v_capacity       integer;
    v_running        integer;
    v_want           bigint;
    v_task_id        bigint;
    v_lease_token    uuid := gen_random_uuid();
BEGIN
    IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'lease seconds must be between 1 and 86400';
    END IF;

    SELECT mi.instance_id, mi.quality_tier INTO v_instance_id, v_quality_tier
      FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
    END IF;

    -- The worker's pool row stays locked until commit: two claims by one worker run one after the
    -- other, so the running count below is exact and capacity is never exceeded.
    SELECT wp.status, wp.worker_capacity INTO v_worker_status, v_capacity
      FROM mmos.worker_pool AS wp WHERE wp.instance_id = v_instance_id FOR UPDATE;
    UPDATE mmos.worker_pool AS wp SET last_heartbeat_at = now() WHERE wp.instance_id = v_instance_id;
    SELECT count(*) INTO v_running FROM mmos.task_queue AS t WHERE t.claimed_by_instance_id = v_instance_id AND t.status = 'running';

    IF v_worker_status = 'online' AND v_running < v_capacity THEN
        -- Two passes: tasks assigned to this worker (only when ix_task_queue_assigned shows some),
        -- then unassigned ones; each walks the ready rows in dequeue order (priority DESC, task_id)
        -- and SKIP LOCKED passes rows other claims hold.
        FOREACH v_want IN ARRAY
            CASE WHEN EXISTS (SELECT 1 FROM mmos.task_queue AS a WHERE a.assigned_instance_id IS NOT NULL AND a.assigned_instance_id = v_instance_id AND a.status = 'ready')
                 THEN ARRAY[v_instance_id, 0::bigint] ELSE ARRAY[0::bigint] END
        LOOP
            SELECT t.task_id INTO v_task_id
              FROM mmos.task_queue AS t
             WHERE t.tenant_id = p_tenant_id AND t.status = 'ready' AND t.not_before <= now()
               AND coalesce(t.assigned_instance_id, 0) = v_want
               AND EXISTS (SELECT 1 FROM mmos.work_sessions AS ws
                            WHERE ws.project_id = t.project_id AND ws.status = 'active'
                              -- a spent budget keeps premium (tier 3) workers away
                              AND (v_quality_tier < 3 OR ws.budget_usd IS NULL
                                   OR ws.budget_usd > (SELECT coalesce(sum(u.cost_usd), 0) FROM mmos.usage_records AS u WHERE u.project_id = ws.project_id)))
               AND v_quality_tier >= CASE t.complexity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END
               AND NOT EXISTS (SELECT 1 FROM mmos.task_required_capabilities AS rc
                                WHERE rc.task_id = t.task_id
                                  AND NOT EXISTS (SELECT 1 FROM mmos.model_instance_capabilities AS mc
                                                   WHERE mc.instance_id = v_instance_id AND mc.capability = rc.capability))
             ORDER BY t.priority DESC, t.task_id
             LIMIT 1
               FOR UPDATE OF t SKIP LOCKED;

            IF v_task_id IS NOT NULL THEN
                -- Re-check on the row written: only a row still ready is claimed.
                UPDATE mmos.task_queue AS t
                   SET status = 'running', claimed_by_instance_id = v_instance_id, lease_token = v_lease_token,
                       lease_expires_at = now() + make_interval(secs => p_lease_seconds), attempts = t.attempts + 1,
                       started_at = now(), updated_at = now(), progress_percent = NULL, progress_note = NULL, routing_note = NULL
                 WHERE t.task_id = v_task_id AND t.status = 'ready';
                IF NOT FOUND THEN
                    v_task_id := NULL;
                ELSE
                    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
                    SELECT t.tenant_id, t.task_id, t.project_id, 'claimed', 'ready', 'running', p_caller_id,
                           format('attempt %s of %s', t.attempts, t.max_attempts)
                      FROM mmos.task_queue AS t WHERE t.task_id = v_task_id;
                    EXIT;
                END IF;
            END IF;
        END LOOP;
    END IF;

    RETURN QUERY
    SELECT t.task_id, t.project_id, t.task_key::text, t.title::text, t.description, t.task_type::text, t.phase::text,
           t.priority, t.complexity::text, t.attempts, t.max_attempts, t.lease_token, t.lease_expires_at, t.review_feedback,
           coalesce((SELECT jsonb_agg(jsonb_build_object('taskId', d.task_id, 'taskKey', d.task_key, 'title', d.title, 'result', d.result)
                                      ORDER BY d.task_id)
                       FROM mmos.task_dependencies AS td
                       JOIN mmos.task_queue AS d ON d.task_id = td.depends_on_task_id
                      WHERE td.task_id = t.task_id), '[]'::jsonb)
      FROM mmos.task_queue AS t
     WHERE t.task_id = v_task_id;
END;
$$;

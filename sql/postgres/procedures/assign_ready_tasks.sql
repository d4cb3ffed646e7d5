/*
@procedure AssignReadyTasks
@summary Give every ready, unassigned task the best worker for it in one pass; say why when no worker can take one.
@description Routing, decided in the database. Takes up to MaxTasks ready tasks of active projects
(one project, or every project of the tenant; TenantId NULL: every tenant, as the scheduled sweep
runs it) that are assigned to nobody, or automatically to a worker that is no longer online or that
a spent budget now excludes, in dequeue order (higher priority, then older). For each, the
candidates are the online workers of its tenant with free capacity (capacity minus running tasks
minus ready tasks already assigned to them, counting the assignments this pass makes), every
capability the task requires and a quality tier at least the one its complexity needs (low 1,
medium 2, high 3); premium workers (tier 3) are left out once the project's recorded cost has
reached its budget. The preferred worker the plan named wins when it is a candidate; otherwise the
cheapest (input plus output price per million tokens), then the least loaded ((running + assigned)
/ capacity), then the best success rate on that task type over the last 30 days (vw_ModelPerformance;
a worker without history counts as 0.5), then the one assigned least recently, so equal choices are
spread, never piled on one worker. A task whose last attempt ended with the lease expiring (or the
worker going offline) is not given back to that worker, which may be gone; an automatic assignment
to it is taken back (the worker may still pull the task when nothing is assigned to it). The task
is assigned (AssignmentSource 'auto') with an 'assigned' event saying why, and the worker's next
claim takes it first. A task no worker can take gets a RoutingNote saying why (no online worker
with its capabilities and tier, budget spent: premium models excluded, only the worker that let its
lease expire, every eligible worker at capacity) and loses an automatic assignment it had.
Manual assignments are never changed; one to a premium worker in a project whose budget is spent
gets a RoutingNote saying so. Returns one row per assignment made.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectId Only this project's tasks (optional; default every active project of the tenant).
@param MaxTasks How many tasks one pass routes at most (1-10000).
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 max tasks out of range; 50404 unknown project
*/
DROP FUNCTION IF EXISTS mmos.assign_ready_tasks;
CREATE FUNCTION mmos.assign_ready_tasks(
    p_tenant_id   text DEFAULT NULL,
    p_project_id  bigint DEFAULT NULL,
    p_max_tasks   integer DEFAULT 500
)
RETURNS TABLE (
    task_id     bigint,
    task_key    text,
    worker_id   text,
    model_name  text,
    reason      text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    c_budget_note CONSTANT text := 'budget spent: premium models excluded, and the worker this task is assigned to is premium';
    v_seq     integer := 0;
    v_chosen  bigint;
    v_runner  bigint;
    v_reason  text;
    r_task    record;
BEGIN
    IF p_max_tasks IS NULL OR p_max_tasks NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'max tasks must be between 1 and 10000';
    END IF;
    IF p_project_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM mmos.work_sessions AS ws WHERE ws.project_id = p_project_id AND (p_tenant_id IS NULL OR ws.tenant_id = p_tenant_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('project %s not found', p_project_id);
    END IF;

    -- One pass at a time: a pass's choices depend on the loads it reads.
    PERFORM pg_advisory_xact_lock(hashtext('mmos.assign_ready_tasks'));

    -- The twin's table variables. Dropped at commit; emptied in case an earlier call in the same
    -- transaction left rows.
    CREATE TEMP TABLE IF NOT EXISTS assign_pool (
        instance_id       bigint PRIMARY KEY,
        tenant_id         text NOT NULL,
        worker_id         text NOT NULL,
        model_name        text,
        quality_tier      integer NOT NULL,
        price             numeric(13,4) NOT NULL,
        capacity          integer NOT NULL,
        busy              integer NOT NULL DEFAULT 0,
        last_assigned_at  timestamptz,
        pass_seq          integer,
        online            boolean NOT NULL DEFAULT true
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_instances (instance_id bigint PRIMARY KEY, tenant_id text NOT NULL, worker_id text NOT NULL,
                                                      quality_tier integer NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_capabilities (instance_id bigint NOT NULL, capability text NOT NULL, PRIMARY KEY (instance_id, capability)) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_projects (project_id bigint PRIMARY KEY, budget_spent boolean NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_rates (instance_id bigint NOT NULL, task_type text NOT NULL, success_rate numeric(5,4) NOT NULL,
                                                  PRIMARY KEY (instance_id, task_type)) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_tasks (
        ordinal                integer PRIMARY KEY,
        task_id                bigint NOT NULL UNIQUE,
        tenant_id              text NOT NULL,
        project_id             bigint NOT NULL,
        task_key               text NOT NULL,
        task_type              text NOT NULL,
        needed_tier            integer NOT NULL,
        preferred_instance_id  bigint,
        preferred_worker_id    text,
        lost_by_instance_id    bigint,
        lost_by_worker_id      text,
        old_instance_id        bigint,
        no_premium             boolean NOT NULL,
        chosen_instance_id     bigint,
        reason                 text,
        note                   text,
        assigned               boolean NOT NULL DEFAULT false,
        withdrawn              boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_required (task_id bigint NOT NULL, capability text NOT NULL, PRIMARY KEY (task_id, capability)) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS assign_eligible (
        instance_id       bigint PRIMARY KEY,
        price             numeric(13,4) NOT NULL,
        busy_ratio        numeric(12,6) NOT NULL,
        success_rate      numeric(5,4) NOT NULL,
        pass_seq          integer,
        last_assigned_at  timestamptz
    ) ON COMMIT DROP;
    TRUNCATE pg_temp.assign_pool, pg_temp.assign_instances, pg_temp.assign_capabilities, pg_temp.assign_projects, pg_temp.assign_rates,
             pg_temp.assign_tasks, pg_temp.assign_required, pg_temp.assign_eligible;

    -- 1. The workers, their prices, capabilities and recent success rates: everything read from
    --    model_instances (and the view over it) is read before any row is locked, as the table order
    --    puts model_instances before worker_pool (a heartbeat writes both, in that order).
    INSERT INTO pg_temp.assign_instances (instance_id, tenant_id, worker_id, quality_tier)
    SELECT mi.instance_id, mi.tenant_id, mi.worker_id, mi.quality_tier
      FROM mmos.model_instances AS mi
     WHERE p_tenant_id IS NULL OR mi.tenant_id = p_tenant_id;

    INSERT INTO pg_temp.assign_pool (instance_id, tenant_id, worker_id, model_name, quality_tier, price, capacity, last_assigned_at)
    SELECT mi.instance_id, mi.tenant_id, mi.worker_id, mi.model_name, mi.quality_tier,
           mi.input_usd_per_million_tokens + mi.output_usd_per_million_tokens, wp.worker_capacity, wp.last_assigned_at
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE wp.status = 'online' AND (p_tenant_id IS NULL OR mi.tenant_id = p_tenant_id);

    INSERT INTO pg_temp.assign_capabilities (instance_id, capability)
    SELECT c.instance_id, c.capability
      FROM mmos.model_instance_capabilities AS c
      JOIN pg_temp.assign_pool AS p ON p.instance_id = c.instance_id;

    -- Success rates (the figures people read in the view) for the task types waiting to be routed
    -- only: an idle pass reads no history.
    IF EXISTS (SELECT 1 FROM mmos.task_queue AS t
                WHERE t.status = 'ready' AND (p_tenant_id IS NULL OR t.tenant_id = p_tenant_id) AND (p_project_id IS NULL OR t.project_id = p_project_id)) THEN
        INSERT INTO pg_temp.assign_rates (instance_id, task_type, success_rate)
        SELECT v.instance_id, v.task_type, v.success_rate
          FROM mmos.vw_model_performance AS v
          JOIN pg_temp.assign_pool AS p ON p.instance_id = v.instance_id AND p.tenant_id = v.tenant_id
         WHERE v.success_rate IS NOT NULL
           AND v.task_type IN (SELECT t.task_type FROM mmos.task_queue AS t
                                WHERE t.status = 'ready' AND t.tenant_id = v.tenant_id AND (p_project_id IS NULL OR t.project_id = p_project_id));
    END IF;

    -- The online workers' pool rows, locked until commit (in instance order) so that no claim changes
    -- a load this pass reads, and read again under the lock: a worker no longer online is left out.
    PERFORM 1
       FROM mmos.worker_pool AS wp
      WHERE wp.instance_id IN (SELECT p.instance_id FROM pg_temp.assign_pool AS p)
      ORDER BY wp.instance_id
        FOR UPDATE;
    UPDATE pg_temp.assign_pool AS p
       SET capacity = wp.worker_capacity, last_assigned_at = wp.last_assigned_at, online = wp.status = 'online'
      FROM mmos.worker_pool AS wp
     WHERE wp.instance_id = p.instance_id;
    DELETE FROM pg_temp.assign_pool AS p WHERE NOT p.online;

    -- 2. Active projects, and whether each one's recorded cost has reached its budget.
    INSERT INTO pg_temp.assign_projects (project_id, budget_spent)
    SELECT ws.project_id,
           ws.budget_usd IS NOT NULL
           AND ws.budget_usd <= (SELECT coalesce(sum(u.cost_usd), 0) FROM mmos.usage_records AS u WHERE u.project_id = ws.project_id)
      FROM mmos.work_sessions AS ws
     WHERE ws.status = 'active' AND (p_tenant_id IS NULL OR ws.tenant_id = p_tenant_id);

    -- 3. Each worker's load: its running tasks plus the ready tasks assigned to it, waiting for its
    --    claim (less the automatic ones this pass takes back: premium worker, budget spent).
    UPDATE pg_temp.assign_pool AS p
       SET busy = (SELECT count(*) FROM mmos.task_queue AS t WHERE t.claimed_by_instance_id = p.instance_id AND t.status = 'running')
                + (SELECT count(*) FROM mmos.task_queue AS t
                    WHERE t.assigned_instance_id = p.instance_id AND t.status = 'ready'
                      AND NOT (coalesce(t.assignment_source, 'manual') = 'auto' AND p.quality_tier = 3
                               AND EXISTS (SELECT 1 FROM pg_temp.assign_projects AS pr WHERE pr.project_id = t.project_id AND pr.budget_spent)));

    -- 4. The tasks to route, in dequeue order (an automatic assignment is routed again when its worker
    --    is no longer online, is premium past the budget, or let the task's lease expire). Rows a claim holds are skipped (SKIP LOCKED); the
    --    others stay locked until commit.
    --    lost_by: the worker whose lease on the task expired in its last attempt (read from the history).
    INSERT INTO pg_temp.assign_tasks (ordinal, task_id, tenant_id, project_id, task_key, task_type, needed_tier,
                                      preferred_instance_id, preferred_worker_id, lost_by_instance_id, lost_by_worker_id,
                                      old_instance_id, no_premium)
    SELECT row_number() OVER (ORDER BY c.priority DESC, c.task_id), c.task_id, c.tenant_id, c.project_id, c.task_key, c.task_type,
           CASE c.complexity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END,
           c.preferred_instance_id, c.preferred_worker_id, c.lost_by_instance_id, c.lost_by_worker_id, c.assigned_instance_id, c.budget_spent
      FROM (SELECT t.task_id, t.tenant_id, t.project_id, t.task_key, t.task_type, t.priority, t.complexity,
                   t.preferred_instance_id, pm.worker_id AS preferred_worker_id, lost.lost_by_instance_id, lost.lost_by_worker_id,
                   t.assigned_instance_id, pr.budget_spent
              FROM mmos.task_queue AS t
              JOIN pg_temp.assign_projects AS pr ON pr.project_id = t.project_id
              LEFT JOIN pg_temp.assign_pool AS aw ON aw.instance_id = t.assigned_instance_id
              LEFT JOIN pg_temp.assign_instances AS am ON am.instance_id = t.assigned_instance_id
              LEFT JOIN pg_temp.assign_instances AS pm ON pm.instance_id = t.preferred_instance_id
              LEFT JOIN LATERAL (SELECT le.event_id, le.event_type
                                   FROM mmos.task_events AS le
                                  WHERE le.task_id = t.task_id AND le.from_status = 'running'
                                  ORDER BY le.event_id DESC
                                  LIMIT 1) AS last_end ON true
              LEFT JOIN LATERAL (SELECT lm.instance_id AS lost_by_instance_id, lm.worker_id AS lost_by_worker_id
                                   FROM mmos.task_events AS lc
                                   JOIN pg_temp.assign_instances AS lm ON lm.tenant_id = lc.tenant_id AND lm.worker_id = lc.actor
                                  WHERE last_end.event_type IN ('lease_expired', 'worker_offline')
                                    AND lc.task_id = t.task_id AND lc.event_type = 'claimed' AND lc.event_id < last_end.event_id
                                  ORDER BY lc.event_id DESC
                                  LIMIT 1) AS lost ON true
             WHERE t.status = 'ready' AND t.not_before <= now()
               AND (p_tenant_id IS NULL OR t.tenant_id = p_tenant_id)
               AND (p_project_id IS NULL OR t.project_id = p_project_id)
               AND (t.assigned_instance_id IS NULL
                    OR (t.assignment_source = 'auto'
                        AND (aw.instance_id IS NULL OR (am.quality_tier = 3 AND pr.budget_spent) OR t.assigned_instance_id = lost.lost_by_instance_id)))
             ORDER BY t.priority DESC, t.task_id
             LIMIT p_max_tasks
               FOR UPDATE OF t SKIP LOCKED) AS c;

    INSERT INTO pg_temp.assign_required (task_id, capability)
    SELECT rc.task_id, rc.capability
      FROM mmos.task_required_capabilities AS rc
      JOIN pg_temp.assign_tasks AS k ON k.task_id = rc.task_id;

    -- 5. One task at a time, in dequeue order. A loop, bounded by max_tasks and touching only temp
    --    tables: each choice depends on the capacity the choices before it used and on whom they
    --    picked (to spread ties), a running state that one set-based statement could carry only
    --    through a recursive query far harder to read and to check. The reads before it and the
    --    writes after it are set-based.
    FOR r_task IN SELECT * FROM pg_temp.assign_tasks AS k ORDER BY k.ordinal LOOP
        DELETE FROM pg_temp.assign_eligible;
        INSERT INTO pg_temp.assign_eligible (instance_id, price, busy_ratio, success_rate, pass_seq, last_assigned_at)
        SELECT p.instance_id, p.price, (p.busy::numeric(12,6) / p.capacity)::numeric(12,6),
               coalesce(r.success_rate, 0.5), p.pass_seq, p.last_assigned_at
          FROM pg_temp.assign_pool AS p
          LEFT JOIN pg_temp.assign_rates AS r ON r.instance_id = p.instance_id AND r.task_type = r_task.task_type
         WHERE p.tenant_id = r_task.tenant_id AND p.busy < p.capacity AND p.quality_tier >= r_task.needed_tier
           AND (NOT r_task.no_premium OR p.quality_tier < 3)
           AND (r_task.lost_by_instance_id IS NULL OR p.instance_id <> r_task.lost_by_instance_id)
           AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_required AS rq
                            WHERE rq.task_id = r_task.task_id
                              AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_capabilities AS c
                                               WHERE c.instance_id = p.instance_id AND c.capability = rq.capability));

        v_chosen := NULL;
        v_runner := NULL;
        v_reason := NULL;
        IF r_task.preferred_instance_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_temp.assign_eligible AS e WHERE e.instance_id = r_task.preferred_instance_id) THEN
            v_chosen := r_task.preferred_instance_id;
            v_reason := 'preferred worker';
        ELSE
            SELECT e.instance_id INTO v_chosen
              FROM pg_temp.assign_eligible AS e
             ORDER BY e.price, e.busy_ratio, e.success_rate DESC, CASE WHEN e.pass_seq IS NULL THEN 0 ELSE 1 END, e.pass_seq,
                      e.last_assigned_at NULLS FIRST, e.instance_id
             LIMIT 1;
            SELECT e.instance_id INTO v_runner
              FROM pg_temp.assign_eligible AS e
             WHERE e.instance_id <> v_chosen
             ORDER BY e.price, e.busy_ratio, e.success_rate DESC, CASE WHEN e.pass_seq IS NULL THEN 0 ELSE 1 END, e.pass_seq,
                      e.last_assigned_at NULLS FIRST, e.instance_id
             LIMIT 1;
            -- The reason names the first rule that told the winner from the runner-up.
            SELECT CASE WHEN r.instance_id IS NULL THEN 'only eligible worker'
                        WHEN w.price < r.price THEN 'cheapest eligible'
                        WHEN w.busy_ratio < r.busy_ratio THEN 'least loaded of the cheapest'
                        WHEN w.success_rate > r.success_rate THEN 'best recent success rate of the cheapest and least loaded'
                        ELSE 'equal choice: assigned least recently' END
              INTO v_reason
              FROM pg_temp.assign_eligible AS w
              LEFT JOIN pg_temp.assign_eligible AS r ON r.instance_id = v_runner
             WHERE w.instance_id = v_chosen;
            IF r_task.preferred_instance_id IS NOT NULL THEN
                v_reason := concat(v_reason, ' (preferred worker ', r_task.preferred_worker_id, ' is not eligible)');
            END IF;
        END IF;

        IF v_chosen IS NOT NULL THEN
            v_seq := v_seq + 1;
            UPDATE pg_temp.assign_pool AS p SET busy = p.busy + 1, pass_seq = v_seq WHERE p.instance_id = v_chosen;
            UPDATE pg_temp.assign_tasks AS k SET chosen_instance_id = v_chosen, reason = v_reason WHERE k.ordinal = r_task.ordinal;
        END IF;
    END LOOP;

    -- 6. Why the others wait, judged against every online worker of the tenant, busy or not.
    UPDATE pg_temp.assign_tasks AS k
       SET note = CASE
               WHEN NOT EXISTS (SELECT 1 FROM pg_temp.assign_pool AS p WHERE p.tenant_id = k.tenant_id) THEN 'no worker is online'
               WHEN NOT EXISTS (SELECT 1 FROM pg_temp.assign_pool AS p
                                 WHERE p.tenant_id = k.tenant_id AND p.quality_tier >= k.needed_tier
                                   AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_required AS rq
                                                    WHERE rq.task_id = k.task_id
                                                      AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_capabilities AS c
                                                                       WHERE c.instance_id = p.instance_id AND c.capability = rq.capability)))
                   THEN left(concat('no online worker has ',
                                    (SELECT 'capabilities ' || string_agg(rq.capability, ',' ORDER BY rq.capability) || ' and '
                                       FROM pg_temp.assign_required AS rq WHERE rq.task_id = k.task_id),
                                    'tier >= ', k.needed_tier), 400)
               WHEN k.no_premium
                AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_pool AS p
                                 WHERE p.tenant_id = k.tenant_id AND p.quality_tier >= k.needed_tier AND p.quality_tier < 3
                                   AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_required AS rq
                                                    WHERE rq.task_id = k.task_id
                                                      AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_capabilities AS c
                                                                       WHERE c.instance_id = p.instance_id AND c.capability = rq.capability)))
                   THEN 'budget spent: premium models excluded'
               WHEN k.lost_by_instance_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_pool AS p
                                 WHERE p.tenant_id = k.tenant_id AND p.instance_id <> k.lost_by_instance_id AND p.quality_tier >= k.needed_tier
                                   AND (NOT k.no_premium OR p.quality_tier < 3)
                                   AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_required AS rq
                                                    WHERE rq.task_id = k.task_id
                                                      AND NOT EXISTS (SELECT 1 FROM pg_temp.assign_capabilities AS c
                                                                       WHERE c.instance_id = p.instance_id AND c.capability = rq.capability)))
                   THEN left(concat('the lease of ', k.lost_by_worker_id, ' on this task expired and no other online worker can take it'), 400)
               ELSE 'every eligible worker is at capacity' END
     WHERE k.chosen_instance_id IS NULL;

    -- 7. The writes, set-based, in the global table order: worker_pool, task_queue, task_events.
    --    last_assigned_at keeps the order of this pass's choices (the last one gets the pass's time).
    UPDATE mmos.worker_pool AS wp
       SET last_assigned_at = now() - make_interval(secs => (v_seq - p.pass_seq) / 1000.0)
      FROM pg_temp.assign_pool AS p
     WHERE p.instance_id = wp.instance_id AND p.pass_seq IS NOT NULL;

    WITH done AS (
        UPDATE mmos.task_queue AS t
           SET assigned_instance_id = k.chosen_instance_id, assignment_source = 'auto', routing_note = NULL, updated_at = now()
          FROM pg_temp.assign_tasks AS k
         WHERE k.task_id = t.task_id AND k.chosen_instance_id IS NOT NULL AND t.status = 'ready'
        RETURNING t.task_id
    )
    UPDATE pg_temp.assign_tasks AS k SET assigned = true FROM done WHERE done.task_id = k.task_id;

    -- Only tasks assigned to nobody or automatically were taken in step 4, so clearing is safe.
    WITH noted AS (
        UPDATE mmos.task_queue AS t
           SET routing_note = k.note, assigned_instance_id = NULL, assignment_source = NULL
          FROM pg_temp.assign_tasks AS k
         WHERE k.task_id = t.task_id AND k.chosen_instance_id IS NULL AND t.status = 'ready'
           AND (t.routing_note IS DISTINCT FROM k.note OR t.assigned_instance_id IS NOT NULL)
        RETURNING t.task_id
    )
    UPDATE pg_temp.assign_tasks AS k SET withdrawn = k.old_instance_id IS NOT NULL FROM noted WHERE noted.task_id = k.task_id;

    -- A note only: rows another transaction holds are left for the next pass (SKIP LOCKED).
    UPDATE mmos.task_queue AS t
       SET routing_note = c_budget_note
     WHERE t.task_id IN (SELECT n.task_id
                           FROM mmos.task_queue AS n
                           JOIN pg_temp.assign_projects AS pr ON pr.project_id = n.project_id AND pr.budget_spent
                           JOIN pg_temp.assign_instances AS am ON am.instance_id = n.assigned_instance_id AND am.quality_tier = 3
                          WHERE n.status = 'ready' AND coalesce(n.assignment_source, 'manual') = 'manual'
                            AND (p_project_id IS NULL OR n.project_id = p_project_id)
                            AND n.routing_note IS DISTINCT FROM c_budget_note
                          ORDER BY n.task_id
                            FOR UPDATE OF n SKIP LOCKED);

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT k.tenant_id, k.task_id, k.project_id, 'assigned', 'ready', 'ready', 'router',
           left(concat('assigned to ', p.worker_id, ': ', k.reason), 4000)
      FROM pg_temp.assign_tasks AS k
      JOIN pg_temp.assign_pool AS p ON p.instance_id = k.chosen_instance_id
     WHERE k.assigned
     ORDER BY k.ordinal;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT k.tenant_id, k.task_id, k.project_id, 'unassigned', 'ready', 'ready', 'router',
           left(concat('automatic assignment withdrawn: ', k.note), 4000)
      FROM pg_temp.assign_tasks AS k
     WHERE k.withdrawn
     ORDER BY k.ordinal;

    RETURN QUERY
    SELECT k.task_id, k.task_key, p.worker_id, p.model_name, k.reason
      FROM pg_temp.assign_tasks AS k
      JOIN pg_temp.assign_pool AS p ON p.instance_id = k.chosen_instance_id
     WHERE k.assigned
     ORDER BY k.ordinal;
END;
$$;

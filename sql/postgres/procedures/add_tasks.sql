/*
@procedure AddTasks
@summary Add a whole plan of tasks, with their dependencies, to a project in one atomic call.
@description Tasks is a JSON array of 1 to 500 task objects: key (required, 1-100 characters,
unique in the project), title (required, 1-200), description (up to 20000), type (general,
research, planning, coding, review, testing, docs or admin; default general), phase (up to 100),
priority (whole number, higher runs first; default 0), capabilities (names a worker must have),
dependsOn (keys from this plan or of tasks already in the project), notBefore (ISO 8601 time with
an offset), maxAttempts (1-100, default 3), complexity (low, medium or high; when absent it is
estimated from the type and the description, see _EstimateComplexity), requiresReview (default
false), preferredWorker (the id of a registered worker: automatic assignment gives the task to it
whenever it is eligible). Keys compare case-insensitively. Either the whole plan is added or nothing is:
a malformed task, a duplicate or unknown key, a self-dependency or a dependency cycle refuses the
plan. A task whose dependencies are all done starts 'ready'; the others start 'blocked' with
UnmetDependencies counting the dependencies not yet done. With an IdempotencyKey, a repeated call
for the same project adds nothing and returns the first call's tasks with Replayed = true.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectId The project the tasks belong to.
@param Tasks JSON array of task objects (see the description), e.g. [{"key":"design","title":"Design the API"},{"key":"build","title":"Build it","dependsOn":["design"]}].
@param IdempotencyKey Optional key (1-100 characters) that makes a retried submission return the first one's tasks instead of adding them twice.
@access ModelInstances -> WorkSessions -> PlanSubmissions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities -> TaskEvents
@throws 50400 malformed plan, missing or oversized field, unknown type or complexity, unknown preferred worker, duplicate key, key already in the project, unknown dependency key, self-dependency, dependency cycle; 50404 unknown project; 50409 project not active, dependency on a cancelled task
*/
DROP FUNCTION IF EXISTS mmos.add_tasks;
CREATE FUNCTION mmos.add_tasks(
    p_tenant_id        text,
    p_caller_id        text,
    p_project_id       bigint,
    p_tasks            jsonb,
    p_idempotency_key  text DEFAULT NULL
)
RETURNS TABLE (
    task_id             bigint,
    task_key            text,
    title               text,
    status              text,
    priority            integer,
    unmet_dependencies  integer,
    replayed            boolean
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Keys compare case-insensitively (lower() here; the database's default CI collation in the twin).
DECLARE
    v_count           integer;
    v_message         text;
    v_project_status  text;
    v_submission_id   bigint;
    v_replayed        boolean := false;
    v_rows            integer;
    v_first_task_id   bigint;
    r                 record;
BEGIN
    PERFORM mmos._check_text('caller id', p_caller_id, 100, true);
    IF p_idempotency_key IS NOT NULL THEN
        PERFORM mmos._check_text('idempotency key', p_idempotency_key, 100, true);
    END IF;
    IF p_project_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'project id is empty';
    END IF;
    -- Stored lower case in both twins, so a retried key matches whatever the collation.
    p_idempotency_key := lower(p_idempotency_key);

    -- 1. The document: an array of 1 to 500 objects with known fields only.
    IF p_tasks IS NULL OR jsonb_typeof(p_tasks) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'tasks must be a JSON array of task objects';
    END IF;
    v_count := jsonb_array_length(p_tasks);
    IF v_count = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'tasks is empty: a plan needs at least one task';
    END IF;
    IF v_count > 500 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = format('a plan holds at most 500 tasks (%s given)', v_count);
    END IF;
    SELECT concat('task ', t.ordinal, ' is not a JSON object') INTO v_message
      FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ordinal)
     WHERE jsonb_typeof(t.task) <> 'object'
     ORDER BY t.ordinal LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;
    -- A misspelt field (depends_on) would otherwise be dropped silently.
    SELECT concat('task ', t.ordinal, ' has an unknown field "', left(f.name, 50), '" (known: key, title, description, type, phase, priority, capabilities, dependsOn, notBefore, maxAttempts, complexity, requiresReview, preferredWorker)')
      INTO v_message
      FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ordinal)
     CROSS JOIN LATERAL jsonb_object_keys(t.task) AS f(name)
     WHERE f.name NOT IN ('key', 'title', 'description', 'type', 'phase', 'priority', 'capabilities', 'dependsOn',
                          'notBefore', 'maxAttempts', 'complexity', 'requiresReview', 'preferredWorker')
     ORDER BY t.ordinal, f.name COLLATE "C" LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

    -- The plan as rows (the twin's table variables). Dropped at commit; emptied in case an earlier
    -- call in the same transaction left rows.
    CREATE TEMP TABLE IF NOT EXISTS add_tasks_plan (
        ordinal               integer PRIMARY KEY,
        task_key              text, key_type text,
        title                 text, title_type text,
        description           text, description_type text,
        task_type             text, type_type text,
        phase                 text, phase_type text,
        priority              text, priority_type text,
        capabilities          jsonb, capabilities_type text,
        depends_on            jsonb, depends_on_type text,
        not_before            text, not_before_type text, not_before_value timestamptz,
        max_attempts          text, max_attempts_type text,
        complexity            text, complexity_type text,
        requires_review       text, requires_review_type text,
        preferred_worker      text, preferred_worker_type text, preferred_instance_id bigint,
        remaining             boolean NOT NULL DEFAULT true,
        unmet                 integer,
        blocked_reason        text,
        new_task_id           bigint
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS add_tasks_deps (
        ordinal               integer NOT NULL,
        position              integer NOT NULL,
        depends_on_key        text NOT NULL,
        depends_on_ordinal    integer,
        depends_on_task_id    bigint,
        depends_on_task_key   text,
        depends_on_status     text,
        PRIMARY KEY (ordinal, position)
    ) ON COMMIT DROP;
    TRUNCATE pg_temp.add_tasks_plan, pg_temp.add_tasks_deps;

    INSERT INTO pg_temp.add_tasks_plan (ordinal, task_key, key_type, title, title_type, description, description_type,
        task_type, type_type, phase, phase_type, priority, priority_type, capabilities, capabilities_type,
        depends_on, depends_on_type, not_before, not_before_type, max_attempts, max_attempts_type,
        complexity, complexity_type, requires_review, requires_review_type, preferred_worker, preferred_worker_type)
    SELECT t.ordinal,
           t.task ->> 'key', jsonb_typeof(t.task -> 'key'),
           t.task ->> 'title', jsonb_typeof(t.task -> 'title'),
           t.task ->> 'description', jsonb_typeof(t.task -> 'description'),
           t.task ->> 'type', jsonb_typeof(t.task -> 'type'),
           t.task ->> 'phase', jsonb_typeof(t.task -> 'phase'),
           t.task ->> 'priority', jsonb_typeof(t.task -> 'priority'),
           CASE WHEN jsonb_typeof(t.task -> 'capabilities') = 'array' THEN t.task -> 'capabilities' END, jsonb_typeof(t.task -> 'capabilities'),
           CASE WHEN jsonb_typeof(t.task -> 'dependsOn') = 'array' THEN t.task -> 'dependsOn' END, jsonb_typeof(t.task -> 'dependsOn'),
           t.task ->> 'notBefore', jsonb_typeof(t.task -> 'notBefore'),
           t.task ->> 'maxAttempts', jsonb_typeof(t.task -> 'maxAttempts'),
           t.task ->> 'complexity', jsonb_typeof(t.task -> 'complexity'),
           t.task ->> 'requiresReview', jsonb_typeof(t.task -> 'requiresReview'),
           t.task ->> 'preferredWorker', jsonb_typeof(t.task -> 'preferredWorker')
      FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ordinal);

    -- notBefore: the shape is checked by pattern, the calendar by the cast (NULL when it fails).
    FOR r IN SELECT p.ordinal, p.not_before FROM pg_temp.add_tasks_plan AS p
              WHERE p.not_before_type = 'string'
                AND p.not_before ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}.*(Z|[+-][0-9]{2}:[0-9]{2})$' LOOP
        BEGIN
            UPDATE pg_temp.add_tasks_plan AS p SET not_before_value = r.not_before::timestamptz WHERE p.ordinal = r.ordinal;
        EXCEPTION WHEN data_exception THEN
            NULL;
        END;
    END LOOP;

    -- 2. Each task's fields: the first failing rule of the first failing task names the problem.
    --    Lengths are measured without trailing spaces, as the twin's LEN does.
    SELECT c.message INTO v_message
      FROM pg_temp.add_tasks_plan AS p
     CROSS JOIN LATERAL (VALUES
        (1, CASE WHEN coalesce(p.key_type, 'null') = 'null' OR (p.key_type = 'string' AND length(rtrim(p.task_key, ' ')) = 0)
                     THEN concat('task ', p.ordinal, ' key is empty')
                 WHEN p.key_type <> 'string' THEN concat('task ', p.ordinal, ' key must be a string')
                 WHEN length(rtrim(p.task_key, ' ')) > 100
                     THEN concat('task ', p.ordinal, ' key is longer than 100 characters (', length(rtrim(p.task_key, ' ')), ' given)')
                 WHEN octet_length(p.task_key) <> octet_length(btrim(p.task_key, ' '))
                     THEN concat('task ', p.ordinal, ' key must not begin or end with a space') END),
        (2, CASE WHEN coalesce(p.title_type, 'null') = 'null' OR (p.title_type = 'string' AND length(rtrim(p.title, ' ')) = 0)
                     THEN concat('task ', p.ordinal, ' title is empty')
                 WHEN p.title_type <> 'string' THEN concat('task ', p.ordinal, ' title must be a string')
                 WHEN length(rtrim(p.title, ' ')) > 200
                     THEN concat('task ', p.ordinal, ' title is longer than 200 characters (', length(rtrim(p.title, ' ')), ' given)') END),
        (3, CASE WHEN coalesce(p.description_type, 'null') NOT IN ('null', 'string') THEN concat('task ', p.ordinal, ' description must be a string')
                 WHEN length(rtrim(p.description, ' ')) > 20000
                     THEN concat('task ', p.ordinal, ' description is longer than 20000 characters (', length(rtrim(p.description, ' ')), ' given)') END),
        (4, CASE WHEN coalesce(p.type_type, 'null') NOT IN ('null', 'string') THEN concat('task ', p.ordinal, ' type must be a string')
                 WHEN p.type_type = 'string' AND lower(p.task_type) NOT IN ('general', 'research', 'planning', 'coding', 'review', 'testing', 'docs', 'admin')
                     THEN concat('task ', p.ordinal, ' type "', left(p.task_type, 50), '" is not one of general, research, planning, coding, review, testing, docs, admin') END),
        (5, CASE WHEN coalesce(p.phase_type, 'null') NOT IN ('null', 'string') THEN concat('task ', p.ordinal, ' phase must be a string')
                 WHEN length(rtrim(p.phase, ' ')) > 100
                     THEN concat('task ', p.ordinal, ' phase is longer than 100 characters (', length(rtrim(p.phase, ' ')), ' given)') END),
        (6, CASE WHEN coalesce(p.priority_type, 'null') = 'null' THEN NULL
                 WHEN p.priority_type <> 'number' OR p.priority !~ '^-?[0-9]{1,10}$' THEN concat('task ', p.ordinal, ' priority must be a whole number')
                 WHEN p.priority::bigint NOT BETWEEN -2147483648 AND 2147483647 THEN concat('task ', p.ordinal, ' priority must be a whole number') END),
        (7, CASE WHEN coalesce(p.capabilities_type, 'null') NOT IN ('null', 'array')
                     THEN concat('task ', p.ordinal, ' capabilities must be an array of capability names') END),
        (8, CASE WHEN coalesce(p.depends_on_type, 'null') NOT IN ('null', 'array')
                     THEN concat('task ', p.ordinal, ' dependsOn must be an array of task keys') END),
        (9, CASE WHEN coalesce(p.not_before_type, 'null') = 'null' THEN NULL
                 WHEN p.not_before_value IS NULL
                     THEN concat('task ', p.ordinal, ' notBefore must be an ISO 8601 time with an offset, e.g. 2026-01-31T09:00:00Z') END),
        (10, CASE WHEN coalesce(p.max_attempts_type, 'null') = 'null' THEN NULL
                  WHEN p.max_attempts_type <> 'number' OR p.max_attempts !~ '^-?[0-9]{1,10}$' THEN concat('task ', p.ordinal, ' maxAttempts must be a whole number from 1 to 100')
                  WHEN p.max_attempts::bigint NOT BETWEEN 1 AND 100 THEN concat('task ', p.ordinal, ' maxAttempts must be a whole number from 1 to 100') END),
        (11, CASE WHEN coalesce(p.complexity_type, 'null') NOT IN ('null', 'string') THEN concat('task ', p.ordinal, ' complexity must be a string')
                  WHEN p.complexity_type = 'string' AND lower(p.complexity) NOT IN ('low', 'medium', 'high')
                      THEN concat('task ', p.ordinal, ' complexity "', left(p.complexity, 50), '" is not one of low, medium, high') END),
        (12, CASE WHEN coalesce(p.requires_review_type, 'null') NOT IN ('null', 'boolean')
                      THEN concat('task ', p.ordinal, ' requiresReview must be true or false') END),
        (13, CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p.capabilities) AS e(value)
                                WHERE jsonb_typeof(e.value) <> 'string' OR length(rtrim(e.value #>> '{}', ' ')) NOT BETWEEN 1 AND 50)
                      THEN concat('task ', p.ordinal, ' capabilities must be names of 1 to 50 characters') END),
        (14, CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p.depends_on) AS e(value)
                                WHERE jsonb_typeof(e.value) <> 'string' OR length(rtrim(e.value #>> '{}', ' ')) NOT BETWEEN 1 AND 100)
                      THEN concat('task ', p.ordinal, ' dependsOn must list task keys of 1 to 100 characters') END),
        (15, CASE WHEN coalesce(p.preferred_worker_type, 'null') NOT IN ('null', 'string')
                       OR (p.preferred_worker_type = 'string' AND length(rtrim(p.preferred_worker, ' ')) NOT BETWEEN 1 AND 100)
                      THEN concat('task ', p.ordinal, ' preferredWorker must be a worker id of 1 to 100 characters') END)
     ) AS c(rule_number, message)
     WHERE c.message IS NOT NULL
     ORDER BY p.ordinal, c.rule_number
     LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

    -- 3. Across tasks: duplicate keys, self-dependencies, cycles.
    SELECT concat('task ', b.ordinal, ' key "', b.task_key, '" is already used by task ', a.ordinal) INTO v_message
      FROM pg_temp.add_tasks_plan AS a
      JOIN pg_temp.add_tasks_plan AS b ON lower(b.task_key) = lower(a.task_key) AND b.ordinal > a.ordinal
     ORDER BY b.ordinal, a.ordinal LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

    INSERT INTO pg_temp.add_tasks_deps (ordinal, position, depends_on_key, depends_on_ordinal)
    SELECT p.ordinal, e.position, e.value, x.ordinal
      FROM pg_temp.add_tasks_plan AS p
     CROSS JOIN LATERAL jsonb_array_elements_text(p.depends_on) WITH ORDINALITY AS e(value, position)
      LEFT JOIN pg_temp.add_tasks_plan AS x ON lower(x.task_key) = lower(e.value);

    SELECT concat('task ', p.ordinal, ' ("', p.task_key, '") depends on itself') INTO v_message
      FROM pg_temp.add_tasks_deps AS d
      JOIN pg_temp.add_tasks_plan AS p ON p.ordinal = d.ordinal
     WHERE d.depends_on_ordinal = d.ordinal
     ORDER BY d.ordinal, d.position LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

    -- Kahn's algorithm, set-based: each pass removes every task none of whose in-plan dependencies
    -- remain. Tasks still remaining when a pass removes nothing lie on or behind a cycle.
    LOOP
        UPDATE pg_temp.add_tasks_plan AS p SET remaining = false
         WHERE p.remaining
           AND NOT EXISTS (SELECT 1 FROM pg_temp.add_tasks_deps AS d
                             JOIN pg_temp.add_tasks_plan AS x ON x.ordinal = d.depends_on_ordinal
                            WHERE d.ordinal = p.ordinal AND x.remaining);
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        EXIT WHEN v_rows = 0;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_temp.add_tasks_plan AS p WHERE p.remaining) THEN
        -- The same removal backwards drops the tasks that merely wait behind a cycle, so the
        -- message names the tasks on the cycle (and any between two cycles).
        LOOP
            UPDATE pg_temp.add_tasks_plan AS p SET remaining = false
             WHERE p.remaining
               AND NOT EXISTS (SELECT 1 FROM pg_temp.add_tasks_deps AS d
                                 JOIN pg_temp.add_tasks_plan AS x ON x.ordinal = d.ordinal
                                WHERE d.depends_on_ordinal = p.ordinal AND x.remaining);
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            EXIT WHEN v_rows = 0;
        END LOOP;
        SELECT count(*) INTO v_rows FROM pg_temp.add_tasks_plan AS p WHERE p.remaining;
        SELECT concat('the plan has a dependency cycle among ', v_rows, ' tasks: ',
                      string_agg(concat('"', k.task_key, '"'), ', ' ORDER BY k.ordinal), CASE WHEN v_rows > 10 THEN ', ...' ELSE '' END)
          INTO v_message
          FROM (SELECT p.ordinal, p.task_key FROM pg_temp.add_tasks_plan AS p WHERE p.remaining ORDER BY p.ordinal LIMIT 10) AS k;
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message;
    END IF;

    -- A preferred worker must be registered in the tenant (model_instances comes first in the table
    -- order, and a worker is never deleted).
    UPDATE pg_temp.add_tasks_plan AS p SET preferred_instance_id = mi.instance_id
      FROM mmos.model_instances AS mi
     WHERE p.preferred_worker_type = 'string' AND mi.tenant_id = p_tenant_id AND mi.worker_id = p.preferred_worker;
    SELECT concat('task ', p.ordinal, ' preferredWorker "', p.preferred_worker, '" is not a registered worker') INTO v_message
      FROM pg_temp.add_tasks_plan AS p
     WHERE p.preferred_worker_type = 'string' AND p.preferred_instance_id IS NULL
     ORDER BY p.ordinal LIMIT 1;
    IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

    -- 4. The project, locked so that plans submitted to it at the same time run one after the other
    --    (the key checks below then see every earlier plan).
    SELECT ws.status INTO v_project_status
      FROM mmos.work_sessions AS ws
     WHERE ws.project_id = p_project_id AND ws.tenant_id = p_tenant_id
       FOR NO KEY UPDATE;
    IF v_project_status IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('project %s not found', p_project_id);
    END IF;

    IF p_idempotency_key IS NOT NULL THEN
        -- A racing submission of the same key waits on the conflict, then finds the winner's row.
        INSERT INTO mmos.plan_submissions (tenant_id, project_id, idempotency_key, submitted_by)
        VALUES (p_tenant_id, p_project_id, p_idempotency_key, p_caller_id)
        ON CONFLICT ON CONSTRAINT uq_plan_submissions_key DO NOTHING
        RETURNING submission_id INTO v_submission_id;
        IF v_submission_id IS NULL THEN
            SELECT ps.submission_id INTO v_submission_id
              FROM mmos.plan_submissions AS ps
             WHERE ps.tenant_id = p_tenant_id AND ps.project_id = p_project_id AND ps.idempotency_key = p_idempotency_key;
            v_replayed := true;
        END IF;
    END IF;

    IF NOT v_replayed THEN
        IF v_project_status <> 'active' THEN
            RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('project %s is %s, not active', p_project_id, v_project_status);
        END IF;

        SELECT concat('task ', p.ordinal, ' key "', p.task_key, '" is already used in project ', p_project_id) INTO v_message
          FROM pg_temp.add_tasks_plan AS p
         WHERE EXISTS (SELECT 1 FROM mmos.task_queue AS t WHERE t.project_id = p_project_id AND lower(t.task_key) = lower(p.task_key))
         ORDER BY p.ordinal LIMIT 1;
        IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

        -- Dependencies on tasks already in the project. FOR SHARE holds each such task until commit,
        -- so it cannot complete between our reading its status and our dependency rows becoming
        -- visible to the completion that would count them off.
        PERFORM 1
           FROM mmos.task_queue AS t
          WHERE t.project_id = p_project_id
            AND lower(t.task_key) IN (SELECT lower(d.depends_on_key) FROM pg_temp.add_tasks_deps AS d WHERE d.depends_on_ordinal IS NULL)
          ORDER BY t.task_id
            FOR SHARE OF t;
        UPDATE pg_temp.add_tasks_deps AS d
           SET depends_on_task_id = t.task_id, depends_on_task_key = t.task_key, depends_on_status = t.status
          FROM mmos.task_queue AS t
         WHERE d.depends_on_ordinal IS NULL AND t.project_id = p_project_id AND lower(t.task_key) = lower(d.depends_on_key);

        SELECT concat('task ', p.ordinal, ' ("', p.task_key, '") depends on unknown key "', d.depends_on_key,
                      '": no task of this plan or of project ', p_project_id, ' has it')
          INTO v_message
          FROM pg_temp.add_tasks_deps AS d
          JOIN pg_temp.add_tasks_plan AS p ON p.ordinal = d.ordinal
         WHERE d.depends_on_ordinal IS NULL AND d.depends_on_task_id IS NULL
         ORDER BY d.ordinal, d.position LIMIT 1;
        IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = v_message; END IF;

        -- A cancelled task never completes: a task waiting for it could never run.
        SELECT concat('task ', p.ordinal, ' ("', p.task_key, '") depends on task "', d.depends_on_task_key, '", which is cancelled')
          INTO v_message
          FROM pg_temp.add_tasks_deps AS d
          JOIN pg_temp.add_tasks_plan AS p ON p.ordinal = d.ordinal
         WHERE d.depends_on_status = 'cancelled'
         ORDER BY d.ordinal, d.position LIMIT 1;
        IF v_message IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = v_message; END IF;

        -- In-plan dependencies are never done yet; existing ones count unless done. A dead
        -- dependency blocks with the reason _block_dependents gives.
        UPDATE pg_temp.add_tasks_plan AS p
           SET unmet = (SELECT count(DISTINCT coalesce(d.depends_on_task_id, -d.depends_on_ordinal))
                          FROM pg_temp.add_tasks_deps AS d
                         WHERE d.ordinal = p.ordinal AND (d.depends_on_ordinal IS NOT NULL OR d.depends_on_status <> 'done')),
               blocked_reason = (SELECT left(concat('dependency ', d.depends_on_task_key, ' failed'), 400)
                                   FROM pg_temp.add_tasks_deps AS d
                                  WHERE d.ordinal = p.ordinal AND d.depends_on_status = 'dead'
                                  ORDER BY d.depends_on_task_id LIMIT 1);

        WITH created AS (
            INSERT INTO mmos.task_queue AS t (tenant_id, project_id, submission_id, task_key, title, description, task_type, phase,
                                              priority, complexity, status, blocked_reason, unmet_dependencies, max_attempts,
                                              not_before, requires_review, preferred_instance_id, created_by)
            SELECT p_tenant_id, p_project_id, v_submission_id, p.task_key, p.title, p.description,
                   coalesce(lower(p.task_type), 'general'), p.phase, coalesce(p.priority::integer, 0), lower(p.complexity),
                   CASE WHEN p.unmet = 0 THEN 'ready' ELSE 'blocked' END, p.blocked_reason, p.unmet,
                   coalesce(p.max_attempts::integer, 3), coalesce(p.not_before_value, now()),
                   coalesce(p.requires_review::boolean, false), p.preferred_instance_id, p_caller_id
              FROM pg_temp.add_tasks_plan AS p
             ORDER BY p.ordinal
            RETURNING t.task_id, t.task_key
        )
        UPDATE pg_temp.add_tasks_plan AS p SET new_task_id = c.task_id FROM created AS c WHERE c.task_key = p.task_key;

        -- Tasks given without a complexity get an estimated one (the project lock keeps other plans'
        -- tasks out of this id range).
        SELECT min(p.new_task_id) INTO v_first_task_id FROM pg_temp.add_tasks_plan AS p;
        PERFORM mmos._estimate_complexity(p_project_id, v_first_task_id);

        INSERT INTO mmos.task_dependencies (task_id, depends_on_task_id, tenant_id)
        SELECT DISTINCT p.new_task_id, coalesce(d.depends_on_task_id, x.new_task_id), p_tenant_id
          FROM pg_temp.add_tasks_deps AS d
          JOIN pg_temp.add_tasks_plan AS p ON p.ordinal = d.ordinal
          LEFT JOIN pg_temp.add_tasks_plan AS x ON x.ordinal = d.depends_on_ordinal;

        -- Lower case, as RegisterWorker stores a worker's capabilities, so the claim matches them.
        INSERT INTO mmos.task_required_capabilities (task_id, capability, tenant_id)
        SELECT DISTINCT p.new_task_id, lower(e.value), p_tenant_id
          FROM pg_temp.add_tasks_plan AS p
         CROSS JOIN LATERAL jsonb_array_elements_text(p.capabilities) AS e(value);

        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        SELECT p_tenant_id, p.new_task_id, p_project_id, 'created', NULL, CASE WHEN p.unmet = 0 THEN 'ready' ELSE 'blocked' END,
               p_caller_id, p.blocked_reason
          FROM pg_temp.add_tasks_plan AS p
         ORDER BY p.ordinal;
    END IF;

    RETURN QUERY
    SELECT t.task_id, t.task_key::text, t.title::text, t.status::text, t.priority, t.unmet_dependencies, v_replayed
      FROM mmos.task_queue AS t
     WHERE (v_replayed AND t.submission_id = v_submission_id)
        OR (NOT v_replayed AND t.task_id IN (SELECT p.new_task_id FROM pg_temp.add_tasks_plan AS p))
     ORDER BY t.task_id;
END;
$$;

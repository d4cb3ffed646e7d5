/*
@procedure ListWorkers
@summary Discover the workers: what each is, can do, costs, and how busy it is (/discover-workers).
@description One row per registered worker of the tenant, ordered by worker id, optionally only
those with one status and/or one capability. RunningTasks counts its running tasks; FreeCapacity
is what it could still claim: capacity minus running for an online worker, 0 for a draining or
offline one. SecondsSinceHeartbeat is whole seconds since its last heartbeat. Capabilities is a
JSON array of names. Reads only.
@roles admin, worker
@toolset workers
@writes false
@destructive false
@idempotent true
@param Status Only workers in this status: online, draining or offline (optional).
@param Capability Only workers with this capability, e.g. coding (optional).
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> TaskQueue
@throws 50400 unknown status filter or oversized capability
*/
DROP FUNCTION IF EXISTS mmos.list_workers;
CREATE FUNCTION mmos.list_workers(
    p_tenant_id   text,
    p_status      text DEFAULT NULL,
    p_capability  text DEFAULT NULL
)
RETURNS TABLE (
    worker_id                      text,
    instance_name                  text,
    model_type                     text,
    model_name                     text,
    status                         text,
    capabilities                   jsonb,
    worker_capacity                integer,
    running_tasks                  integer,
    free_capacity                  integer,
    quality_tier                   integer,
    input_usd_per_million_tokens   numeric,
    output_usd_per_million_tokens  numeric,
    tasks_completed                integer,
    tasks_failed                   integer,
    last_heartbeat_at              timestamptz,
    seconds_since_heartbeat        integer
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF p_status IS NOT NULL AND lower(p_status) NOT IN ('online', 'draining', 'offline') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400',
            MESSAGE = concat('unknown worker status ''', p_status, ''': use online, draining or offline');
    END IF;
    PERFORM mmos._check_text('capability', p_capability, 50, false);

    RETURN QUERY
    SELECT mi.worker_id::text,
           mi.instance_name::text,
           mi.model_type::text,
           mi.model_name::text,
           wp.status::text,
           coalesce((SELECT jsonb_agg(c.capability ORDER BY c.capability)
                       FROM mmos.model_instance_capabilities AS c WHERE c.instance_id = mi.instance_id), '[]'::jsonb),
           wp.worker_capacity,
           run.running_tasks,
           CASE WHEN wp.status = 'online' AND wp.worker_capacity > run.running_tasks
                THEN wp.worker_capacity - run.running_tasks ELSE 0 END,
           mi.quality_tier,
           mi.input_usd_per_million_tokens,
           mi.output_usd_per_million_tokens,
           wp.tasks_completed,
           wp.tasks_failed,
           wp.last_heartbeat_at,
           floor(extract(epoch FROM (now() - wp.last_heartbeat_at)))::integer
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
      CROSS JOIN LATERAL (SELECT count(*)::integer AS running_tasks FROM mmos.task_queue AS t
                           WHERE t.claimed_by_instance_id = mi.instance_id AND t.status = 'running') AS run
     WHERE mi.tenant_id = p_tenant_id
       AND (p_status IS NULL OR wp.status = lower(p_status))
       AND (p_capability IS NULL OR EXISTS (SELECT 1 FROM mmos.model_instance_capabilities AS c
                                             WHERE c.instance_id = mi.instance_id AND c.capability = lower(p_capability)))
     ORDER BY mi.worker_id;
END;
$$;

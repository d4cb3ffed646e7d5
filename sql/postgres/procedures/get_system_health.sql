/*
@procedure GetSystemHealth
@summary One-row health summary of workers, capacity and the queue (/system-health).
@description Workers by status, plus WorkersStale: online workers whose last heartbeat is older
than HeartbeatTimeoutSeconds (the sweep will take them offline). TotalCapacity and FreeCapacity
cover online workers only (a draining or offline worker claims nothing). Tasks by status;
ExpiredLeases counts running tasks whose lease has run out (the sweep requeues them);
OldestReadyAgeSeconds is how long the longest-waiting claimable ready task has waited since it
became ready (NULL when none); ActiveProjects counts active projects. Reads only.
@roles admin
@toolset workers
@writes false
@destructive false
@idempotent true
@param HeartbeatTimeoutSeconds Heartbeat age in seconds after which an online worker counts as stale (1-86400).
@access ModelInstances -> WorkerPool -> WorkSessions -> TaskQueue
@throws 50400 heartbeat timeout out of range
*/
DROP FUNCTION IF EXISTS mmos.get_system_health;
CREATE FUNCTION mmos.get_system_health(
    p_tenant_id                  text,
    p_heartbeat_timeout_seconds  integer DEFAULT 90
)
RETURNS TABLE (
    workers_online            integer,
    workers_draining          integer,
    workers_offline           integer,
    workers_stale             integer,
    total_capacity            integer,
    free_capacity             integer,
    tasks_blocked             integer,
    tasks_ready               integer,
    tasks_running             integer,
    tasks_review              integer,
    tasks_retry_wait          integer,
    tasks_dead                integer,
    expired_leases            integer,
    oldest_ready_age_seconds  integer,
    active_projects           integer
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
    v_stale_before timestamptz := now() - make_interval(secs => p_heartbeat_timeout_seconds);
BEGIN
    IF p_heartbeat_timeout_seconds IS NULL OR p_heartbeat_timeout_seconds NOT BETWEEN 1 AND 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'heartbeat timeout must be between 1 and 86400 seconds';
    END IF;

    RETURN QUERY
    SELECT coalesce(w.workers_online, 0)::integer,
           coalesce(w.workers_draining, 0)::integer,
           coalesce(w.workers_offline, 0)::integer,
           coalesce(w.workers_stale, 0)::integer,
           coalesce(w.total_capacity, 0)::integer,
           coalesce(w.free_capacity, 0)::integer,
           coalesce(q.tasks_blocked, 0)::integer,
           coalesce(q.tasks_ready, 0)::integer,
           coalesce(q.tasks_running, 0)::integer,
           coalesce(q.tasks_review, 0)::integer,
           coalesce(q.tasks_retry_wait, 0)::integer,
           coalesce(q.tasks_dead, 0)::integer,
           coalesce(q.expired_leases, 0)::integer,
           q.oldest_ready_age_seconds::integer,
           (SELECT count(*)::integer FROM mmos.work_sessions AS s WHERE s.tenant_id = p_tenant_id AND s.status = 'active')
      FROM (SELECT count(*) FILTER (WHERE wp.status = 'online') AS workers_online,
                   count(*) FILTER (WHERE wp.status = 'draining') AS workers_draining,
                   count(*) FILTER (WHERE wp.status = 'offline') AS workers_offline,
                   count(*) FILTER (WHERE wp.status = 'online' AND wp.last_heartbeat_at < v_stale_before) AS workers_stale,
                   sum(CASE WHEN wp.status = 'online' THEN wp.worker_capacity ELSE 0 END) AS total_capacity,
                   sum(CASE WHEN wp.status = 'online' AND wp.worker_capacity > run.running_tasks
                            THEN wp.worker_capacity - run.running_tasks ELSE 0 END) AS free_capacity
              FROM mmos.worker_pool AS wp
              CROSS JOIN LATERAL (SELECT count(*) AS running_tasks FROM mmos.task_queue AS t
                                   WHERE t.claimed_by_instance_id = wp.instance_id AND t.status = 'running') AS run
             WHERE wp.tenant_id = p_tenant_id) AS w
     CROSS JOIN
           (SELECT count(*) FILTER (WHERE t.status = 'blocked') AS tasks_blocked,
                   count(*) FILTER (WHERE t.status = 'ready') AS tasks_ready,
                   count(*) FILTER (WHERE t.status = 'running') AS tasks_running,
                   count(*) FILTER (WHERE t.status = 'review') AS tasks_review,
                   count(*) FILTER (WHERE t.status = 'retry_wait') AS tasks_retry_wait,
                   count(*) FILTER (WHERE t.status = 'dead') AS tasks_dead,
                   count(*) FILTER (WHERE t.status = 'running' AND t.lease_expires_at < v_now) AS expired_leases,
                   -- A ready task waits from when it became ready (updated_at) or from its not_before, whichever is later.
                   max(floor(extract(epoch FROM (v_now - greatest(t.not_before, t.updated_at)))))
                       FILTER (WHERE t.status = 'ready' AND t.not_before <= v_now) AS oldest_ready_age_seconds
              FROM mmos.task_queue AS t
             WHERE t.tenant_id = p_tenant_id
               AND t.status IN ('blocked', 'ready', 'running', 'review', 'retry_wait', 'dead')) AS q;
END;
$$;

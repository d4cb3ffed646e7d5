/*
@view vw_WorkerLoad
@summary Per worker: status, capacity, running and free slots, totals, heartbeat age.
@description One row per registered worker of every tenant; filter on TenantId. FreeCapacity is
capacity minus running tasks for an online worker and 0 for a draining or offline one (they claim
nothing). SecondsSinceHeartbeat is whole seconds since the worker's last heartbeat.
@access ModelInstances -> WorkerPool -> TaskQueue
*/
CREATE OR REPLACE VIEW mmos.vw_worker_load AS
SELECT mi.tenant_id::text AS tenant_id,
       mi.worker_id::text AS worker_id,
       mi.instance_name::text AS instance_name,
       mi.model_type::text AS model_type,
       mi.model_name::text AS model_name,
       mi.quality_tier AS quality_tier,
       wp.status::text AS status,
       wp.worker_capacity AS worker_capacity,
       run.running_tasks AS running_tasks,
       CASE WHEN wp.status = 'online' AND wp.worker_capacity > run.running_tasks
            THEN wp.worker_capacity - run.running_tasks ELSE 0 END AS free_capacity,
       wp.tasks_completed AS tasks_completed,
       wp.tasks_failed AS tasks_failed,
       wp.last_heartbeat_at AS last_heartbeat_at,
       floor(extract(epoch FROM (now() - wp.last_heartbeat_at)))::integer AS seconds_since_heartbeat
  FROM mmos.model_instances AS mi
  JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
 CROSS JOIN LATERAL (SELECT count(*)::integer AS running_tasks FROM mmos.task_queue AS t
                      WHERE t.claimed_by_instance_id = mi.instance_id AND t.status = 'running') AS run;

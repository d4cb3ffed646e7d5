/*
@view vw_Queue
@summary Ready and blocked tasks in dequeue order, with why each one waits.
@description One row per ready or blocked task; filter on TenantId and sort by QueuePosition.
QueuePosition numbers a tenant's tasks in the order ClaimNextTask takes them: claimable tasks
first, then ready tasks that must wait, then blocked ones; within each, higher Priority first,
then older TaskId. (A worker takes the tasks assigned to it before all others, and only tasks whose
required capabilities it has.) IsClaimable: ready, NotBefore passed, project active. WaitReason
says why a task waits: the BlockedReason a failed dependency left, 'waiting for N unfinished
dependencies' (or '1 unfinished dependency'), 'project is not active', or 'waiting until
NotBefore'; NULL when claimable. AssignedWorkerId is the worker the task is reserved for, if any.
@access WorkSessions -> TaskQueue -> ModelInstances
*/
CREATE OR REPLACE VIEW mmos.vw_queue AS
SELECT q.tenant_id::text AS tenant_id,
       row_number() OVER (PARTITION BY q.tenant_id
                          ORDER BY CASE WHEN q.is_claimable THEN 0 WHEN q.status = 'ready' THEN 1 ELSE 2 END,
                                   q.priority DESC, q.task_id)::integer AS queue_position,
       q.task_id AS task_id,
       q.project_id AS project_id,
       q.task_key::text AS task_key,
       q.title::text AS title,
       q.status::text AS status,
       q.priority AS priority,
       q.phase::text AS phase,
       q.task_type::text AS task_type,
       q.is_claimable AS is_claimable,
       q.unmet_dependencies AS unmet_dependencies,
       q.blocked_reason::text AS blocked_reason,
       q.not_before AS not_before,
       CASE WHEN q.status = 'blocked' AND q.blocked_reason IS NOT NULL THEN q.blocked_reason::text
            WHEN q.status = 'blocked' THEN concat('waiting for ', q.unmet_dependencies,
                                                  CASE WHEN q.unmet_dependencies = 1 THEN ' unfinished dependency' ELSE ' unfinished dependencies' END)
            WHEN q.project_status <> 'active' THEN 'project is not active'
            WHEN NOT q.is_claimable THEN 'waiting until NotBefore'
       END AS wait_reason,
       a.worker_id::text AS assigned_worker_id,
       q.created_at AS created_at
  FROM (SELECT t.tenant_id, t.task_id, t.project_id, t.task_key, t.title, t.status, t.priority, t.phase, t.task_type,
               t.unmet_dependencies, t.blocked_reason, t.not_before, t.assigned_instance_id, t.created_at,
               s.status AS project_status,
               (t.status = 'ready' AND t.not_before <= now() AND s.status = 'active') AS is_claimable
          FROM mmos.task_queue AS t
          JOIN mmos.work_sessions AS s ON s.project_id = t.project_id
         WHERE t.status IN ('ready', 'blocked')) AS q
  LEFT JOIN mmos.model_instances AS a ON a.instance_id = q.assigned_instance_id;

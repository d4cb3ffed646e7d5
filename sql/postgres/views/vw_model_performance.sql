/*
@view vw_ModelPerformance
@summary Per worker (model instance) and task type, the last 30 days: tasks completed, failed attempts, success rate, duration, cost.
@description One row per worker and task type with an attempt claimed in the last 30 days; filter
on TenantId, and group by ModelName to compare models. An attempt is a 'claimed' event; its outcome
is the first event after it that takes the task out of 'running': 'completed' is a success unless
the review that followed requested changes; 'retry_scheduled', 'dead_lettered', 'lease_expired'
and 'worker_offline' are failures; a release, a cancellation, or an attempt still running counts as
neither. SuccessRate = TasksCompleted / (TasksCompleted + FailedAttempts), NULL without outcomes.
AvgDurationSeconds: claim to completion, successful attempts only. AvgCostUsd: the cost recorded for
the worker's attempts at that task type (failed ones included) per task completed, NULL when none
completed. AssignReadyTasks ranks workers of equal price and load by this SuccessRate.
@access ModelInstances -> TaskQueue -> TaskEvents -> UsageRecords
*/
CREATE OR REPLACE VIEW mmos.vw_model_performance AS
SELECT a.tenant_id::text AS tenant_id,
       a.instance_id AS instance_id,
       a.worker_id::text AS worker_id,
       a.model_name::text AS model_name,
       a.task_type::text AS task_type,
       a.tasks_completed AS tasks_completed,
       a.failed_attempts AS failed_attempts,
       (CASE WHEN a.tasks_completed + a.failed_attempts > 0
             THEN a.tasks_completed::numeric / (a.tasks_completed + a.failed_attempts) END)::numeric(5,4) AS success_rate,
       a.avg_duration_seconds::numeric(12,1) AS avg_duration_seconds,
       (u.cost_usd / nullif(a.tasks_completed, 0))::numeric(14,6) AS avg_cost_usd
  FROM (SELECT mi.tenant_id, mi.instance_id, mi.worker_id, mi.model_name, x.task_type,
               (count(*) FILTER (WHERE x.outcome = 1))::integer AS tasks_completed,
               (count(*) FILTER (WHERE x.outcome = 0))::integer AS failed_attempts,
               avg(x.duration_seconds) FILTER (WHERE x.outcome = 1) AS avg_duration_seconds
          FROM (SELECT c.tenant_id, c.actor, t.task_type,
                       CASE WHEN o.event_type = 'completed' AND rv.event_type = 'changes_requested' THEN 0
                            WHEN o.event_type = 'completed' THEN 1
                            WHEN o.event_type IN ('retry_scheduled', 'dead_lettered', 'lease_expired', 'worker_offline') THEN 0
                       END AS outcome,
                       extract(epoch FROM (o.created_at - c.created_at)) AS duration_seconds
                  FROM mmos.task_events AS c
                  JOIN mmos.task_queue AS t ON t.task_id = c.task_id
                  LEFT JOIN LATERAL (SELECT e.event_id, e.event_type, e.created_at
                                       FROM mmos.task_events AS e
                                      WHERE e.task_id = c.task_id AND e.event_id > c.event_id
                                        AND e.from_status = 'running' AND e.to_status <> 'running'
                                      ORDER BY e.event_id
                                      LIMIT 1) AS o ON true
                  LEFT JOIN LATERAL (SELECT r.event_type
                                       FROM mmos.task_events AS r
                                      WHERE o.event_type = 'completed' AND r.task_id = c.task_id AND r.event_id > o.event_id
                                        AND r.from_status = 'review'
                                      ORDER BY r.event_id
                                      LIMIT 1) AS rv ON true
                 WHERE c.event_type = 'claimed' AND c.created_at >= now() - interval '30 days') AS x
          JOIN mmos.model_instances AS mi ON mi.tenant_id = x.tenant_id AND mi.worker_id = x.actor
         GROUP BY mi.tenant_id, mi.instance_id, mi.worker_id, mi.model_name, x.task_type) AS a
  LEFT JOIN (SELECT ur.instance_id, t.task_type, sum(ur.cost_usd) AS cost_usd
               FROM mmos.usage_records AS ur
               JOIN mmos.task_queue AS t ON t.task_id = ur.task_id
              WHERE ur.recorded_at >= now() - interval '30 days'
              GROUP BY ur.instance_id, t.task_type) AS u ON u.instance_id = a.instance_id AND u.task_type = a.task_type;

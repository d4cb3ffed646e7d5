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
IF OBJECT_ID(N'mmos.vw_ModelPerformance', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_ModelPerformance AS SELECT 1 AS Placeholder');
GO
ALTER VIEW mmos.vw_ModelPerformance AS
SELECT a.TenantId AS TenantId,
       a.InstanceId AS InstanceId,
       a.WorkerId AS WorkerId,
       a.ModelName AS ModelName,
       a.TaskType AS TaskType,
       a.TasksCompleted AS TasksCompleted,
       a.FailedAttempts AS FailedAttempts,
       CAST(CASE WHEN a.TasksCompleted + a.FailedAttempts > 0
                 THEN CAST(a.TasksCompleted AS DECIMAL(12,6)) / (a.TasksCompleted + a.FailedAttempts) END AS DECIMAL(5,4)) AS SuccessRate,
       CAST(a.AvgDurationSeconds AS DECIMAL(12,1)) AS AvgDurationSeconds,
       CAST(u.CostUsd / NULLIF(a.TasksCompleted, 0) AS DECIMAL(14,6)) AS AvgCostUsd
  FROM (SELECT mi.TenantId, mi.InstanceId, mi.WorkerId, mi.ModelName, x.TaskType,
               SUM(CASE WHEN x.Outcome = 1 THEN 1 ELSE 0 END) AS TasksCompleted,
               SUM(CASE WHEN x.Outcome = 0 THEN 1 ELSE 0 END) AS FailedAttempts,
               AVG(CASE WHEN x.Outcome = 1 THEN x.DurationMilliseconds / 1000.0 END) AS AvgDurationSeconds
          FROM (SELECT c.TenantId, c.Actor, t.TaskType,
                       CASE WHEN o.EventType = N'completed' AND rv.EventType = N'changes_requested' THEN 0
                            WHEN o.EventType = N'completed' THEN 1
                            WHEN o.EventType IN (N'retry_scheduled', N'dead_lettered', N'lease_expired', N'worker_offline') THEN 0
                       END AS Outcome,
                       DATEDIFF_BIG(MILLISECOND, c.CreatedAt, o.CreatedAt) AS DurationMilliseconds
                  FROM mmos.TaskEvents AS c
                  JOIN mmos.TaskQueue AS t ON t.TaskId = c.TaskId
                 OUTER APPLY (SELECT TOP (1) e.EventId, e.EventType, e.CreatedAt
                                FROM mmos.TaskEvents AS e
                               WHERE e.TaskId = c.TaskId AND e.EventId > c.EventId
                                 AND e.FromStatus = N'running' AND e.ToStatus <> N'running'
                               ORDER BY e.EventId) AS o
                 OUTER APPLY (SELECT TOP (1) r.EventType
                                FROM mmos.TaskEvents AS r
                               WHERE o.EventType = N'completed' AND r.TaskId = c.TaskId AND r.EventId > o.EventId
                                 AND r.FromStatus = N'review'
                               ORDER BY r.EventId) AS rv
                 WHERE c.EventType = N'claimed' AND c.CreatedAt >= DATEADD(DAY, -30, SYSUTCDATETIME())) AS x
          JOIN mmos.ModelInstances AS mi ON mi.TenantId = x.TenantId AND mi.WorkerId = x.Actor
         GROUP BY mi.TenantId, mi.InstanceId, mi.WorkerId, mi.ModelName, x.TaskType) AS a
  LEFT JOIN (SELECT ur.InstanceId, t.TaskType, SUM(ur.CostUsd) AS CostUsd
               FROM mmos.UsageRecords AS ur
               JOIN mmos.TaskQueue AS t ON t.TaskId = ur.TaskId
              WHERE ur.RecordedAt >= DATEADD(DAY, -30, SYSUTCDATETIME())
              GROUP BY ur.InstanceId, t.TaskType) AS u ON u.InstanceId = a.InstanceId AND u.TaskType = a.TaskType;
GO

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
IF OBJECT_ID(N'mmos.vw_Queue', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_Queue AS SELECT 1 AS Placeholder');
GO
ALTER VIEW mmos.vw_Queue AS
SELECT q.TenantId AS TenantId,
       ROW_NUMBER() OVER (PARTITION BY q.TenantId
                          ORDER BY CASE WHEN q.IsClaimable = 1 THEN 0 WHEN q.Status = N'ready' THEN 1 ELSE 2 END,
                                   q.Priority DESC, q.TaskId) AS QueuePosition,
       q.TaskId AS TaskId,
       q.ProjectId AS ProjectId,
       q.TaskKey AS TaskKey,
       q.Title AS Title,
       q.Status AS Status,
       q.Priority AS Priority,
       q.Phase AS Phase,
       q.TaskType AS TaskType,
       CAST(q.IsClaimable AS BIT) AS IsClaimable,
       q.UnmetDependencies AS UnmetDependencies,
       q.BlockedReason AS BlockedReason,
       q.NotBefore AS NotBefore,
       CASE WHEN q.Status = N'blocked' AND q.BlockedReason IS NOT NULL THEN q.BlockedReason
            WHEN q.Status = N'blocked' THEN CONCAT(N'waiting for ', q.UnmetDependencies,
                                                   CASE WHEN q.UnmetDependencies = 1 THEN N' unfinished dependency' ELSE N' unfinished dependencies' END)
            WHEN q.ProjectStatus <> N'active' THEN N'project is not active'
            WHEN q.IsClaimable = 0 THEN N'waiting until NotBefore'
       END AS WaitReason,
       a.WorkerId AS AssignedWorkerId,
       q.CreatedAt AS CreatedAt
  FROM (SELECT t.TenantId, t.TaskId, t.ProjectId, t.TaskKey, t.Title, t.Status, t.Priority, t.Phase, t.TaskType,
               t.UnmetDependencies, t.BlockedReason, t.NotBefore, t.AssignedInstanceId, t.CreatedAt,
               s.Status AS ProjectStatus,
               CASE WHEN t.Status = N'ready' AND t.NotBefore <= SYSUTCDATETIME() AND s.Status = N'active' THEN 1 ELSE 0 END AS IsClaimable
          FROM mmos.TaskQueue AS t
          JOIN mmos.WorkSessions AS s ON s.ProjectId = t.ProjectId
         WHERE t.Status IN (N'ready', N'blocked')) AS q
  LEFT JOIN mmos.ModelInstances AS a ON a.InstanceId = q.AssignedInstanceId;
GO

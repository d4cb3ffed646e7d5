/*
@view vw_WorkerLoad
@summary Per worker: status, capacity, running and free slots, totals, heartbeat age.
@description One row per registered worker of every tenant; filter on TenantId. FreeCapacity is
capacity minus running tasks for an online worker and 0 for a draining or offline one (they claim
nothing). SecondsSinceHeartbeat is whole seconds since the worker's last heartbeat.
@access ModelInstances -> WorkerPool -> TaskQueue
*/
IF OBJECT_ID(N'mmos.vw_WorkerLoad', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_WorkerLoad AS SELECT 1 AS Placeholder');
GO
ALTER VIEW mmos.vw_WorkerLoad AS
SELECT mi.TenantId AS TenantId,
       mi.WorkerId AS WorkerId,
       mi.InstanceName AS InstanceName,
       mi.ModelType AS ModelType,
       mi.ModelName AS ModelName,
       mi.QualityTier AS QualityTier,
       wp.Status AS Status,
       wp.WorkerCapacity AS WorkerCapacity,
       run.RunningTasks AS RunningTasks,
       CASE WHEN wp.Status = N'online' AND wp.WorkerCapacity > run.RunningTasks
            THEN wp.WorkerCapacity - run.RunningTasks ELSE 0 END AS FreeCapacity,
       wp.TasksCompleted AS TasksCompleted,
       wp.TasksFailed AS TasksFailed,
       wp.LastHeartbeatAt AS LastHeartbeatAt,
       CAST(DATEDIFF_BIG(MILLISECOND, wp.LastHeartbeatAt, SYSUTCDATETIME()) / 1000 AS INT) AS SecondsSinceHeartbeat
  FROM mmos.ModelInstances AS mi
  JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
 CROSS APPLY (SELECT COUNT(*) AS RunningTasks FROM mmos.TaskQueue AS t
               WHERE t.ClaimedByInstanceId = mi.InstanceId AND t.Status = N'running') AS run;
GO

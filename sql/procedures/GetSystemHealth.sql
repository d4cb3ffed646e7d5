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
CREATE OR ALTER PROCEDURE mmos.GetSystemHealth
    @TenantId                 NVARCHAR(64),
    @HeartbeatTimeoutSeconds  INT = 90
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @HeartbeatTimeoutSeconds IS NULL OR @HeartbeatTimeoutSeconds NOT BETWEEN 1 AND 86400
        THROW 50400, N'heartbeat timeout must be between 1 and 86400 seconds', 1;

    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME();
    DECLARE @StaleBefore DATETIME2(3) = DATEADD(SECOND, -@HeartbeatTimeoutSeconds, @Now);

    SELECT ISNULL(w.WorkersOnline, 0) AS WorkersOnline,
           ISNULL(w.WorkersDraining, 0) AS WorkersDraining,
           ISNULL(w.WorkersOffline, 0) AS WorkersOffline,
           ISNULL(w.WorkersStale, 0) AS WorkersStale,
           ISNULL(w.TotalCapacity, 0) AS TotalCapacity,
           ISNULL(w.FreeCapacity, 0) AS FreeCapacity,
           ISNULL(q.TasksBlocked, 0) AS TasksBlocked,
           ISNULL(q.TasksReady, 0) AS TasksReady,
           ISNULL(q.TasksRunning, 0) AS TasksRunning,
           ISNULL(q.TasksReview, 0) AS TasksReview,
           ISNULL(q.TasksRetryWait, 0) AS TasksRetryWait,
           ISNULL(q.TasksDead, 0) AS TasksDead,
           ISNULL(q.ExpiredLeases, 0) AS ExpiredLeases,
           q.OldestReadyAgeSeconds AS OldestReadyAgeSeconds,
           (SELECT COUNT(*) FROM mmos.WorkSessions AS s WHERE s.TenantId = @TenantId AND s.Status = N'active') AS ActiveProjects
      FROM (SELECT SUM(CASE WHEN wp.Status = N'online' THEN 1 ELSE 0 END) AS WorkersOnline,
                   SUM(CASE WHEN wp.Status = N'draining' THEN 1 ELSE 0 END) AS WorkersDraining,
                   SUM(CASE WHEN wp.Status = N'offline' THEN 1 ELSE 0 END) AS WorkersOffline,
                   SUM(CASE WHEN wp.Status = N'online' AND wp.LastHeartbeatAt < @StaleBefore THEN 1 ELSE 0 END) AS WorkersStale,
                   SUM(CASE WHEN wp.Status = N'online' THEN wp.WorkerCapacity ELSE 0 END) AS TotalCapacity,
                   SUM(CASE WHEN wp.Status = N'online' AND wp.WorkerCapacity > run.RunningTasks
                            THEN wp.WorkerCapacity - run.RunningTasks ELSE 0 END) AS FreeCapacity
              FROM mmos.WorkerPool AS wp
              OUTER APPLY (SELECT COUNT(*) AS RunningTasks FROM mmos.TaskQueue AS t
                            WHERE t.ClaimedByInstanceId = wp.InstanceId AND t.Status = N'running') AS run
             WHERE wp.TenantId = @TenantId) AS w
     CROSS JOIN
           (SELECT SUM(CASE WHEN t.Status = N'blocked' THEN 1 ELSE 0 END) AS TasksBlocked,
                   SUM(CASE WHEN t.Status = N'ready' THEN 1 ELSE 0 END) AS TasksReady,
                   SUM(CASE WHEN t.Status = N'running' THEN 1 ELSE 0 END) AS TasksRunning,
                   SUM(CASE WHEN t.Status = N'review' THEN 1 ELSE 0 END) AS TasksReview,
                   SUM(CASE WHEN t.Status = N'retry_wait' THEN 1 ELSE 0 END) AS TasksRetryWait,
                   SUM(CASE WHEN t.Status = N'dead' THEN 1 ELSE 0 END) AS TasksDead,
                   SUM(CASE WHEN t.Status = N'running' AND t.LeaseExpiresAt < @Now THEN 1 ELSE 0 END) AS ExpiredLeases,
                   -- A ready task waits from when it became ready (UpdatedAt) or from its NotBefore, whichever is later.
                   MAX(CASE WHEN t.Status = N'ready' AND t.NotBefore <= @Now
                            THEN CAST(DATEDIFF_BIG(MILLISECOND, CASE WHEN t.NotBefore > t.UpdatedAt THEN t.NotBefore ELSE t.UpdatedAt END, @Now) / 1000 AS INT)
                       END) AS OldestReadyAgeSeconds
              FROM mmos.TaskQueue AS t
             WHERE t.TenantId = @TenantId
               AND t.Status IN (N'blocked', N'ready', N'running', N'review', N'retry_wait', N'dead')) AS q;
END;
GO

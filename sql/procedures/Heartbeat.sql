/*
@procedure Heartbeat
@summary Tell the system this worker is alive; returns its status, running tasks and unread messages.
@description Refreshes the worker's heartbeat and last-active time. A worker that the sweep marked
offline becomes online again, since it is evidently alive; a draining worker stays draining (only
RegisterWorker makes it online again). Safe to repeat. The worker is the caller, filled by the server.
UnreadMessages counts what ReadMessages would return: direct messages, broadcasts of projects in
which the worker has or had a task, and tenant-wide broadcasts, not yet read by this worker.
@roles worker
@toolset workers
@writes true
@destructive false
@idempotent true
@access ModelInstances -> WorkerPool
@throws 50404 unknown worker
*/
CREATE OR ALTER PROCEDURE mmos.Heartbeat
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @InstanceId BIGINT;
    DECLARE @Message NVARCHAR(400);

    -- Worker rows are never deleted, so a lookup outside the transaction stays true.
    SELECT @InstanceId = mi.InstanceId
      FROM mmos.ModelInstances AS mi
     WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        UPDATE mmos.ModelInstances SET LastActive = SYSUTCDATETIME() WHERE InstanceId = @InstanceId;

        -- Right-hand sides read the row before the update, so OfflineAt follows the old status.
        UPDATE mmos.WorkerPool
           SET LastHeartbeatAt = SYSUTCDATETIME(),
               Status = CASE WHEN Status = N'offline' THEN N'online' ELSE Status END,
               OfflineAt = CASE WHEN Status = N'offline' THEN NULL ELSE OfflineAt END
         WHERE InstanceId = @InstanceId;
    COMMIT TRANSACTION;

    SELECT mi.WorkerId AS WorkerId,
           wp.Status AS Status,
           wp.LastHeartbeatAt AS LastHeartbeatAt,
           (SELECT COUNT(*) FROM mmos.TaskQueue AS t
             WHERE t.ClaimedByInstanceId = mi.InstanceId AND t.Status = N'running') AS RunningTasks,
           (SELECT COUNT(*) FROM mmos.InterWorkerMessages AS m
             WHERE m.TenantId = @TenantId
               AND (m.ToInstanceId = mi.InstanceId
                    OR (m.ToInstanceId IS NULL AND m.FromId <> mi.WorkerId
                        AND (m.ProjectId IS NULL
                             OR EXISTS (SELECT 1 FROM mmos.TaskQueue AS t
                                         WHERE t.ProjectId = m.ProjectId
                                           AND (t.ClaimedByInstanceId = mi.InstanceId OR t.AssignedInstanceId = mi.InstanceId))
                             OR EXISTS (SELECT 1 FROM mmos.TaskEvents AS e
                                         WHERE e.TenantId = @TenantId AND e.Actor = mi.WorkerId AND e.ProjectId = m.ProjectId))))
               AND NOT EXISTS (SELECT 1 FROM mmos.MessageReads AS r
                                WHERE r.InstanceId = mi.InstanceId AND r.MessageId = m.MessageId)) AS UnreadMessages
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
     WHERE mi.InstanceId = @InstanceId;
END;
GO

/*
@procedure UnregisterWorker
@summary Unregister this worker: mark it offline and give its running tasks back to the queue.
@description For a worker leaving on purpose (its session ends). The worker is the caller, so one
agent cannot unregister another. It becomes offline (the rows stay, for history and cost reports;
nothing is deleted) and each task it is running goes back to ready at once, without counting the
attempt (the claim counted one, so it is taken back), with a 'released' event; its lease token
stops being valid. Unregistering again changes nothing. A worker comes back with Heartbeat or by
registering again. An admin removes another worker with DrainWorker: the worker finishes its
tasks, and once its heartbeats stop the offline sweep takes it offline.
@roles worker
@toolset workers
@writes true
@destructive true
@idempotent true
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50404 unknown worker
*/
CREATE OR ALTER PROCEDURE mmos.UnregisterWorker
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @InstanceId BIGINT;
    DECLARE @Message NVARCHAR(400);
    DECLARE @Released TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, ProjectId BIGINT NOT NULL);

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

        UPDATE mmos.WorkerPool
           SET Status = N'offline', OfflineAt = ISNULL(OfflineAt, SYSUTCDATETIME())
         WHERE InstanceId = @InstanceId;

        -- READCOMMITTEDLOCK: read the rows' committed state under lock even with READ_COMMITTED_SNAPSHOT,
        -- so a task the worker is completing right now is either released or completed, never both.
        UPDATE mmos.TaskQueue WITH (ROWLOCK, READCOMMITTEDLOCK)
           SET Status = N'ready', ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL,
               StartedAt = NULL, ProgressPercent = NULL, ProgressNote = NULL,
               Attempts = CASE WHEN Attempts > 0 THEN Attempts - 1 ELSE 0 END,
               NotBefore = SYSUTCDATETIME(), UpdatedAt = SYSUTCDATETIME()
        OUTPUT inserted.TaskId, inserted.ProjectId INTO @Released (TaskId, ProjectId)
         WHERE TenantId = @TenantId AND ClaimedByInstanceId = @InstanceId AND Status = N'running';

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT @TenantId, r.TaskId, r.ProjectId, N'released', N'running', N'ready', @CallerId,
               N'worker unregistered; the attempt is not counted'
          FROM @Released AS r;
    COMMIT TRANSACTION;

    SELECT mi.WorkerId AS WorkerId,
           wp.Status AS Status,
           wp.OfflineAt AS OfflineAt,
           (SELECT COUNT(*) FROM @Released) AS ReleasedTasks
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
     WHERE mi.InstanceId = @InstanceId;
END;
GO

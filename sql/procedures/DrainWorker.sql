/*
@procedure DrainWorker
@summary Drain a worker: it finishes its running tasks but claims nothing new.
@description Marks the worker draining. Its running tasks keep their leases and may be completed,
but ClaimNextTask gives a draining worker nothing new. Draining a draining worker changes nothing.
To remove a worker for good, drain it: once it has finished and its agent stops sending heartbeats,
the offline sweep takes it offline. Heartbeats keep it draining; it takes work again only after
registering again (RegisterWorker). RunningTasks says how much it still has to finish.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param WorkerId The worker to drain.
@access WorkerPool
@throws 50404 unknown worker; 50409 worker is offline
*/
CREATE OR ALTER PROCEDURE mmos.DrainWorker
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100),
    @WorkerId  NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @InstanceId BIGINT;
    DECLARE @Message NVARCHAR(400);

    EXEC mmos._CheckText N'worker id', @WorkerId, 100, 1;
    SELECT @InstanceId = mi.InstanceId
      FROM mmos.ModelInstances AS mi
     WHERE mi.TenantId = @TenantId AND mi.WorkerId = @WorkerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @WorkerId, N' not found');
        THROW 50404, @Message, 1;
    END

    -- The state check sits in the WHERE of the one write, so a racing sweep cannot slip between them.
    UPDATE mmos.WorkerPool
       SET Status = N'draining'
     WHERE InstanceId = @InstanceId AND Status IN (N'online', N'draining');
    IF @@ROWCOUNT = 0
    BEGIN
        SET @Message = CONCAT(N'worker ', @WorkerId, N' is offline');
        THROW 50409, @Message, 1;
    END

    SELECT mi.WorkerId AS WorkerId,
           wp.Status AS Status,
           (SELECT COUNT(*) FROM mmos.TaskQueue AS t
             WHERE t.ClaimedByInstanceId = mi.InstanceId AND t.Status = N'running') AS RunningTasks
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
     WHERE mi.InstanceId = @InstanceId;
END;
GO

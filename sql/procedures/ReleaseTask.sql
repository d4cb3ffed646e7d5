/*
@procedure ReleaseTask
@summary Give back a running task this worker will not finish (e.g. on shutdown); the attempt is not counted.
@description Accepted only from the worker holding the task's current lease. The task becomes ready
again at once for any eligible worker, its lease is cleared (the token stops being valid) and its
attempt count goes back down, since the task itself did not fail. Writes a 'released' event with
the reason.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task to give back.
@param LeaseToken The lease token ClaimNextTask returned.
@param Reason Why the task is given back (optional, up to 400 characters).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50400 oversized reason; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
CREATE OR ALTER PROCEDURE mmos.ReleaseTask
    @TenantId    NVARCHAR(64),
    @CallerId    NVARCHAR(100),
    @TaskId      BIGINT,
    @LeaseToken  UNIQUEIDENTIFIER,
    @Reason      NVARCHAR(400) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'reason', @Reason, 400, 0;

    DECLARE @Message NVARCHAR(400), @InstanceId BIGINT, @Now DATETIME2(3) = SYSUTCDATETIME();

    SELECT @InstanceId = mi.InstanceId FROM mmos.ModelInstances AS mi WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        UPDATE mmos.WorkerPool SET LastHeartbeatAt = @Now WHERE InstanceId = @InstanceId;
        EXEC mmos._CheckLease @TenantId = @TenantId, @TaskId = @TaskId, @InstanceId = @InstanceId, @LeaseToken = @LeaseToken;

        UPDATE mmos.TaskQueue
           SET Status = N'ready', Attempts = CASE WHEN Attempts > 0 THEN Attempts - 1 ELSE 0 END,
               ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL, StartedAt = NULL,
               ProgressPercent = NULL, ProgressNote = NULL, NotBefore = @Now, UpdatedAt = @Now
         WHERE TaskId = @TaskId AND Status = N'running' AND LeaseToken = @LeaseToken;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT t.TenantId, t.TaskId, t.ProjectId, N'released', N'running', N'ready', @CallerId,
               ISNULL(@Reason, N'released by the worker; the attempt is not counted')
          FROM mmos.TaskQueue AS t
         WHERE t.TaskId = @TaskId;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           t.Attempts AS Attempts
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

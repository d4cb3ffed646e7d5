/*
@procedure ReportProgress
@summary Report progress on a running task and extend its lease.
@description Only the worker holding the task's current lease may report, presenting the lease
token its claim returned. Each report extends the lease to LeaseSeconds from now, so a long task
stays leased as long as its worker keeps reporting, and refreshes the worker's heartbeat. A NULL
percent or note keeps the previous value. Writes a 'progress' event.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task being worked on.
@param LeaseToken The lease token ClaimNextTask returned.
@param ProgressPercent How far the task is, 0-100 (optional).
@param Note A short note on what is happening (optional, up to 1000 characters).
@param LeaseSeconds New lease length from now (1-86400 seconds).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50400 percent, note or lease seconds out of range; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
CREATE OR ALTER PROCEDURE mmos.ReportProgress
    @TenantId         NVARCHAR(64),
    @CallerId         NVARCHAR(100),
    @TaskId           BIGINT,
    @LeaseToken       UNIQUEIDENTIFIER,
    @ProgressPercent  INT = NULL,
    @Note             NVARCHAR(1000) = NULL,
    @LeaseSeconds     INT = 300
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @ProgressPercent IS NOT NULL AND @ProgressPercent NOT BETWEEN 0 AND 100
        THROW 50400, N'progress percent must be between 0 and 100', 1;
    EXEC mmos._CheckText N'note', @Note, 1000, 0;
    IF @LeaseSeconds IS NULL OR @LeaseSeconds NOT BETWEEN 1 AND 86400
        THROW 50400, N'lease seconds must be between 1 and 86400', 1;

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
           SET ProgressPercent = ISNULL(@ProgressPercent, ProgressPercent), ProgressNote = ISNULL(@Note, ProgressNote),
               LeaseExpiresAt = DATEADD(SECOND, @LeaseSeconds, @Now), UpdatedAt = @Now
         WHERE TaskId = @TaskId AND Status = N'running' AND LeaseToken = @LeaseToken;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT t.TenantId, t.TaskId, t.ProjectId, N'progress', N'running', N'running', @CallerId,
               CASE WHEN t.ProgressPercent IS NULL THEN @Note ELSE CONCAT(t.ProgressPercent, N'%', N' ' + @Note) END
          FROM mmos.TaskQueue AS t
         WHERE t.TaskId = @TaskId;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           t.ProgressPercent AS ProgressPercent,
           t.LeaseExpiresAt AS LeaseExpiresAt
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

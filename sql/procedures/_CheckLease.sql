/*
@procedure _CheckLease
@summary Lock a task row and refuse unless it is running under this worker's current lease.
@description Internal helper of ReportProgress, CompleteTask, FailTask and ReleaseTask, so every
lease refusal reads the same. Called inside the caller's transaction after the caller has locked
its own WorkerPool row (table access order); the task row stays locked until the caller commits.
Checks in this order: unknown task (50404), task not running (50409), task running under another
worker or under a newer lease (50412).
@internal true
@writes false
@access TaskQueue
@throws 50404 task not found; 50409 task not running; 50412 stale or foreign lease token
*/
CREATE OR ALTER PROCEDURE mmos._CheckLease
    @TenantId    NVARCHAR(64),
    @TaskId      BIGINT,
    @InstanceId  BIGINT,
    @LeaseToken  UNIQUEIDENTIFIER
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(400), @Found BIT = 0, @Status NVARCHAR(20), @ClaimedBy BIGINT, @CurrentToken UNIQUEIDENTIFIER;

    SELECT @Found = 1, @Status = t.Status, @ClaimedBy = t.ClaimedByInstanceId, @CurrentToken = t.LeaseToken
      FROM mmos.TaskQueue AS t WITH (UPDLOCK, HOLDLOCK, ROWLOCK)
     WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;

    IF @Found = 0
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' not found');
        THROW 50404, @Message, 1;
    END
    IF @Status <> N'running'
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' is ', @Status, N', not running');
        THROW 50409, @Message, 1;
    END
    IF @ClaimedBy IS NULL OR @ClaimedBy <> @InstanceId
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' is leased to another worker');
        THROW 50412, @Message, 1;
    END
    IF @LeaseToken IS NULL OR @CurrentToken IS NULL OR @CurrentToken <> @LeaseToken
    BEGIN
        SET @Message = CONCAT(N'lease token for task ', @TaskId, N' is stale: the task was claimed again since');
        THROW 50412, @Message, 1;
    END
END;
GO

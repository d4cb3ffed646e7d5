/*
@procedure FailTask
@summary Report that an attempt at a running task failed; it is retried later or dead-lettered.
@description Accepted only from the worker holding the task's current lease; anything else is
refused and changes nothing. The error is stored. When the failure is retryable and attempts
remain, the task waits in 'retry_wait' for a back-off of 5 seconds times 2^(attempts - 1), at most
15 minutes (5 s, 10 s, 20 s, ...), after which the retry sweep makes it ready again. Otherwise it
becomes 'dead' (the dead letter state), the worker's failure count goes up, and every task that
depends on it, directly or not, stays blocked with the reason 'dependency <key> failed' until an
admin redrives it. Usage is recorded when tokens or cost are given.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task that failed.
@param LeaseToken The lease token ClaimNextTask returned.
@param Error What went wrong (up to 4000 characters).
@param Retryable False when another attempt cannot succeed (the task is dead-lettered at once).
@param TokensIn Input tokens the attempt used (optional).
@param TokensOut Output tokens the attempt used (optional).
@param CostUsd What the attempt cost in USD, when the agent reports it (optional).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskDependencies -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized error, negative tokens or cost; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
CREATE OR ALTER PROCEDURE mmos.FailTask
    @TenantId    NVARCHAR(64),
    @CallerId    NVARCHAR(100),
    @TaskId      BIGINT,
    @LeaseToken  UNIQUEIDENTIFIER,
    @Error       NVARCHAR(4000),
    @Retryable   BIT = 1,
    @TokensIn    BIGINT = NULL,
    @TokensOut   BIGINT = NULL,
    @CostUsd     DECIMAL(14,6) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'error', @Error, 4000, 1;
    IF @TokensIn < 0 OR @TokensOut < 0 THROW 50400, N'token counts must be zero or more', 1;
    IF @CostUsd < 0 THROW 50400, N'cost must be zero or more', 1;

    -- Back-off: BackoffBaseSeconds * 2^(attempts - 1), capped at BackoffCapSeconds (twin: fail_task.sql).
    DECLARE @BackoffBaseSeconds INT = 5, @BackoffCapSeconds INT = 900;
    DECLARE @Message NVARCHAR(400), @InstanceId BIGINT, @ProjectId BIGINT, @Attempts INT, @MaxAttempts INT,
            @DelaySeconds INT, @Now DATETIME2(3) = SYSUTCDATETIME();

    SELECT @InstanceId = mi.InstanceId FROM mmos.ModelInstances AS mi WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        UPDATE mmos.WorkerPool SET LastHeartbeatAt = @Now WHERE InstanceId = @InstanceId;
        EXEC mmos._CheckLease @TenantId = @TenantId, @TaskId = @TaskId, @InstanceId = @InstanceId, @LeaseToken = @LeaseToken;

        SELECT @ProjectId = t.ProjectId, @Attempts = t.Attempts, @MaxAttempts = t.MaxAttempts FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId;

        IF ISNULL(@Retryable, 1) = 1 AND @Attempts < @MaxAttempts
        BEGIN
            -- 2^(attempts - 1) stays small: past 8 doublings the cap applies anyway.
            SET @DelaySeconds = CASE WHEN @Attempts > 9 THEN @BackoffCapSeconds ELSE @BackoffBaseSeconds * POWER(2, @Attempts - 1) END;
            IF @DelaySeconds > @BackoffCapSeconds SET @DelaySeconds = @BackoffCapSeconds;
            UPDATE mmos.TaskQueue
               SET Status = N'retry_wait', NotBefore = DATEADD(SECOND, @DelaySeconds, @Now), LastError = @Error,
                   ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL, UpdatedAt = @Now
             WHERE TaskId = @TaskId AND Status = N'running' AND LeaseToken = @LeaseToken;
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            VALUES (@TenantId, @TaskId, @ProjectId, N'retry_scheduled', N'running', N'retry_wait', @CallerId,
                    LEFT(CONCAT(N'retry in ', @DelaySeconds, N' s after attempt ', @Attempts, N' of ', @MaxAttempts, N': ', @Error), 4000));
        END
        ELSE
        BEGIN
            UPDATE mmos.WorkerPool SET TasksFailed = TasksFailed + 1 WHERE InstanceId = @InstanceId;
            EXEC mmos._DeadLetterTask @TaskId = @TaskId, @Actor = @CallerId, @Error = @Error;
        END

        IF @TokensIn IS NOT NULL OR @TokensOut IS NOT NULL OR @CostUsd IS NOT NULL
            EXEC mmos._RecordUsage @TenantId = @TenantId, @ProjectId = @ProjectId, @TaskId = @TaskId, @InstanceId = @InstanceId,
                                   @TokensIn = @TokensIn, @TokensOut = @TokensOut, @CostUsd = @CostUsd;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           t.Attempts AS Attempts,
           t.NotBefore AS NotBefore
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

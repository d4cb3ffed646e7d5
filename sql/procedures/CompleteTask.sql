/*
@procedure CompleteTask
@summary Complete a running task with its result; unblocks the tasks that were waiting for it.
@description Accepted only from the worker holding the task's current lease (the token its claim
returned); anything else is refused and changes nothing. The task becomes 'done', or 'review' when
it requires review (its dependents then wait for the approval). The result is kept for the tasks
that depend on this one: they receive it in their claim. Records tokens and cost (reported cost,
else computed from the worker's prices, else none), counts the completion for the worker, and,
for a 'done' task, makes ready each direct dependent that has no other unfinished dependency.
When every task of the project is done or cancelled, the project becomes completed.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task being completed.
@param LeaseToken The lease token ClaimNextTask returned.
@param Result What the task produced (up to 100,000 characters); dependents receive it.
@param TokensIn Input tokens the attempt used (optional).
@param TokensOut Output tokens the attempt used (optional).
@param CostUsd What the attempt cost in USD, when the agent reports it (optional).
@access ModelInstances -> WorkerPool -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized result, negative tokens or cost; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
CREATE OR ALTER PROCEDURE mmos.CompleteTask
    @TenantId    NVARCHAR(64),
    @CallerId    NVARCHAR(100),
    @TaskId      BIGINT,
    @LeaseToken  UNIQUEIDENTIFIER,
    @Result      NVARCHAR(MAX),
    @TokensIn    BIGINT = NULL,
    @TokensOut   BIGINT = NULL,
    @CostUsd     DECIMAL(14,6) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'result', @Result, 100000, 1;
    IF @TokensIn < 0 OR @TokensOut < 0 THROW 50400, N'token counts must be zero or more', 1;
    IF @CostUsd < 0 THROW 50400, N'cost must be zero or more', 1;

    DECLARE @Message NVARCHAR(400), @InstanceId BIGINT, @ProjectId BIGINT, @NewStatus NVARCHAR(20),
            @Unblocked INT = 0, @Now DATETIME2(3) = SYSUTCDATETIME();

    SELECT @InstanceId = mi.InstanceId FROM mmos.ModelInstances AS mi WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END
    -- A task never changes project, so reading it before the transaction is safe; it lets the
    -- project row be locked before the task row, in the global table order.
    SELECT @ProjectId = t.ProjectId FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;

    BEGIN TRANSACTION;
        UPDATE mmos.WorkerPool SET LastHeartbeatAt = @Now WHERE InstanceId = @InstanceId;
        -- Completions in one project run their "was this the last task?" check one at a time.
        SELECT @ProjectId = ws.ProjectId FROM mmos.WorkSessions AS ws WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE ws.ProjectId = @ProjectId;
        EXEC mmos._CheckLease @TenantId = @TenantId, @TaskId = @TaskId, @InstanceId = @InstanceId, @LeaseToken = @LeaseToken;

        SELECT @NewStatus = CASE WHEN t.RequiresReview = 1 THEN N'review' ELSE N'done' END FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId;
        UPDATE mmos.TaskQueue
           SET Status = @NewStatus, Result = @Result, CompletedAt = @Now, UpdatedAt = @Now, LeaseToken = NULL, LeaseExpiresAt = NULL,
               ProgressPercent = 100, BlockedReason = NULL, LastError = NULL
         WHERE TaskId = @TaskId AND Status = N'running' AND LeaseToken = @LeaseToken;
        UPDATE mmos.WorkerPool SET TasksCompleted = TasksCompleted + 1 WHERE InstanceId = @InstanceId;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        VALUES (@TenantId, @TaskId, @ProjectId, N'completed', N'running', @NewStatus, @CallerId, NULL);

        IF @NewStatus = N'done'
        BEGIN
            EXEC @Unblocked = mmos._UnblockDependents @TaskId = @TaskId, @Actor = @CallerId;
            IF NOT EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.ProjectId = @ProjectId AND t.Status NOT IN (N'done', N'cancelled'))
                UPDATE mmos.WorkSessions SET Status = N'completed', CompletedAt = @Now WHERE ProjectId = @ProjectId AND Status = N'active';
        END

        EXEC mmos._RecordUsage @TenantId = @TenantId, @ProjectId = @ProjectId, @TaskId = @TaskId, @InstanceId = @InstanceId,
                               @TokensIn = @TokensIn, @TokensOut = @TokensOut, @CostUsd = @CostUsd;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           @Unblocked AS UnblockedCount
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

/*
@procedure ReviewTask
@summary Approve a task waiting in review, or send it back with feedback; never by the worker that did it.
@description For a task in 'review' (a task that requires review goes there when it is completed).
Who may review: the admin, or a registered worker with the 'review' capability; never the task's
author, the worker whose attempt completed it (error 50403). Approve: the task becomes 'done', each
task waiting for it becomes ready when nothing else holds it, and the project completes when this
was its last open task. Request changes (Approve false, Feedback required): the rejected attempt
stays counted (its claim counted it); while attempts remain the task goes back to 'ready', to the
worker it is assigned to if any, and the next claim returns the feedback in ReviewFeedback; after
the last allowed attempt it is dead-lettered as a failed task would be (its dependents stay blocked
with a reason; RedriveTask gives it fresh attempts). Every review is an event in the task's history:
'review_approved' (Detail: the optional note) or 'changes_requested' (Detail: the feedback).
@roles admin, worker
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param TaskId The task in review.
@param Approve True accepts the result; false requests changes.
@param Feedback What to change (required when requesting changes; up to 20000 characters). With an approval, an optional note kept in the history.
@access ModelInstances -> ModelInstanceCapabilities -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 approve missing, feedback missing when requesting changes, feedback too long; 50403 caller is neither the admin nor a worker with the review capability, or is the task's author; 50404 unknown task or worker; 50409 task not in review
*/
CREATE OR ALTER PROCEDURE mmos.ReviewTask
    @TenantId    NVARCHAR(64),
    @CallerId    NVARCHAR(100),
    @CallerRole  NVARCHAR(20),
    @TaskId      BIGINT,
    @Approve     BIT,
    @Feedback    NVARCHAR(MAX) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'caller id', @CallerId, 100, 1;
    IF @TaskId IS NULL THROW 50400, N'task id is empty', 1;
    IF @Approve IS NULL THROW 50400, N'approve is empty: true approves the result, false requests changes', 1;
    IF @Approve = 0 AND (@Feedback IS NULL OR LEN(@Feedback) = 0)
        THROW 50400, N'feedback is empty: requesting changes needs feedback that says what to change', 1;
    EXEC mmos._CheckText N'feedback', @Feedback, 20000, 0;

    DECLARE @Message NVARCHAR(400), @ReviewerInstanceId BIGINT, @ProjectId BIGINT, @Status NVARCHAR(20), @AuthorId NVARCHAR(100),
            @Attempts INT, @MaxAttempts INT, @Error NVARCHAR(4000), @Unblocked INT = 0, @Now DATETIME2(3) = SYSUTCDATETIME();

    -- Who may review: the admin, or a registered worker with the review capability.
    IF @CallerRole = N'worker'
    BEGIN
        SELECT @ReviewerInstanceId = mi.InstanceId FROM mmos.ModelInstances AS mi WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
        IF @ReviewerInstanceId IS NULL
        BEGIN
            SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
            THROW 50404, @Message, 1;
        END
        IF NOT EXISTS (SELECT 1 FROM mmos.ModelInstanceCapabilities AS c WHERE c.InstanceId = @ReviewerInstanceId AND c.Capability = N'review')
        BEGIN
            SET @Message = CONCAT(N'worker ', @CallerId, N' may not review: it does not have the review capability');
            THROW 50403, @Message, 1;
        END
    END
    ELSE IF ISNULL(@CallerRole, N'') <> N'admin'
    BEGIN
        SET @Message = CONCAT(N'the ', ISNULL(@CallerRole, N'(no)'), N' role may not review: only the admin or a worker with the review capability may');
        THROW 50403, @Message, 1;
    END

    -- A task never changes project, so reading it first is safe; it lets the project row be locked
    -- before the task row, in the global table order.
    SELECT @ProjectId = t.ProjectId FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;
    IF @ProjectId IS NULL
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        -- Reviews and completions in one project run their "was this the last task?" check one at a time.
        SELECT @ProjectId = ws.ProjectId FROM mmos.WorkSessions AS ws WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE ws.ProjectId = @ProjectId;
        SELECT @Status = t.Status, @Attempts = t.Attempts, @MaxAttempts = t.MaxAttempts, @AuthorId = a.WorkerId
          FROM mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK)
          LEFT JOIN mmos.ModelInstances AS a ON a.InstanceId = t.ClaimedByInstanceId
         WHERE t.TaskId = @TaskId;
        IF @Status <> N'review'
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' is ', @Status, N', not in review');
            THROW 50409, @Message, 1;
        END
        -- The author is the worker whose attempt completed the task (the claim that is still on it).
        IF @AuthorId = @CallerId
        BEGIN
            SET @Message = CONCAT(N'worker ', @CallerId, N' completed task ', @TaskId, N' and may not review its own work');
            THROW 50403, @Message, 1;
        END

        IF @Approve = 1
        BEGIN
            UPDATE mmos.TaskQueue
               SET Status = N'done', CompletedAt = @Now, UpdatedAt = @Now
             WHERE TaskId = @TaskId AND Status = N'review';
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            VALUES (@TenantId, @TaskId, @ProjectId, N'review_approved', N'review', N'done', @CallerId, LEFT(@Feedback, 4000));

            EXEC @Unblocked = mmos._UnblockDependents @TaskId = @TaskId, @Actor = @CallerId;
            IF NOT EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.ProjectId = @ProjectId AND t.Status NOT IN (N'done', N'cancelled'))
                UPDATE mmos.WorkSessions SET Status = N'completed', CompletedAt = @Now WHERE ProjectId = @ProjectId AND Status = N'active';
        END
        ELSE IF @Attempts < @MaxAttempts
        BEGIN
            UPDATE mmos.TaskQueue
               SET Status = N'ready', ReviewFeedback = @Feedback, ClaimedByInstanceId = NULL, CompletedAt = NULL,
                   ProgressPercent = NULL, ProgressNote = NULL, NotBefore = @Now, UpdatedAt = @Now
             WHERE TaskId = @TaskId AND Status = N'review';
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            VALUES (@TenantId, @TaskId, @ProjectId, N'changes_requested', N'review', N'ready', @CallerId, LEFT(@Feedback, 4000));
        END
        ELSE
        BEGIN
            -- The last allowed attempt was rejected: dead letter, as FailTask does.
            UPDATE mmos.TaskQueue SET ReviewFeedback = @Feedback, UpdatedAt = @Now WHERE TaskId = @TaskId;
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            VALUES (@TenantId, @TaskId, @ProjectId, N'changes_requested', N'review', N'dead', @CallerId, LEFT(@Feedback, 4000));
            SET @Error = LEFT(CONCAT(N'changes requested after the last attempt (', @Attempts, N' of ', @MaxAttempts, N'): ', @Feedback), 4000);
            EXEC mmos._DeadLetterTask @TaskId = @TaskId, @Actor = @CallerId, @Error = @Error;
        END
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           t.Attempts AS Attempts,
           t.MaxAttempts AS MaxAttempts,
           t.ReviewFeedback AS ReviewFeedback,
           @Unblocked AS UnblockedCount
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

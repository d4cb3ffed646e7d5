/*
@procedure RedriveTask
@summary Give a dead-lettered task a fresh start: ready again with its attempts reset.
@description Only for a task in the dead letter state ('dead'). It becomes ready with zero attempts
(and a new attempt limit when given) and its last error is cleared. Its dependents, directly or
not, lose the reason 'dependency <key> failed' this failure gave them; they stay blocked until
their dependencies are done, and one still blocked by another dead task of the project gets that
task's reason instead. ClearedDependents counts the dependents no longer blocked by any failure.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param TaskId The dead task to redrive.
@param MaxAttempts A new attempt limit, 1-100 (optional; the old one stays otherwise).
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 max attempts out of range; 50404 task not found; 50409 task is not dead
*/
CREATE OR ALTER PROCEDURE mmos.RedriveTask
    @TenantId     NVARCHAR(64),
    @CallerId     NVARCHAR(100),
    @TaskId       BIGINT,
    @MaxAttempts  INT = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @MaxAttempts IS NOT NULL AND @MaxAttempts NOT BETWEEN 1 AND 100
        THROW 50400, N'max attempts must be between 1 and 100', 1;

    DECLARE @Message NVARCHAR(400), @Found BIT = 0, @Status NVARCHAR(20), @ProjectId BIGINT, @Reason NVARCHAR(400),
            @Level INT = 0, @Added INT, @DeadId BIGINT = 0, @DeadIds NVARCHAR(MAX), @Cleared INT = 0, @Now DATETIME2(3) = SYSUTCDATETIME();
    DECLARE @Dependents TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Level INT NOT NULL);
    DECLARE @Unmarked TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL);

    BEGIN TRANSACTION;
        SELECT @Found = 1, @Status = t.Status, @ProjectId = t.ProjectId, @Reason = LEFT(CONCAT(N'dependency ', t.TaskKey, N' failed'), 400)
          FROM mmos.TaskQueue AS t WITH (UPDLOCK, HOLDLOCK, ROWLOCK)
         WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;
        IF @Found = 0
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' not found');
            THROW 50404, @Message, 1;
        END
        IF @Status <> N'dead'
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' is ', @Status, N', not dead: only dead-lettered tasks can be redriven');
            THROW 50409, @Message, 1;
        END

        UPDATE mmos.TaskQueue
           SET Status = N'ready', Attempts = 0, MaxAttempts = ISNULL(@MaxAttempts, MaxAttempts), LastError = NULL,
               BlockedReason = NULL, NotBefore = @Now, UpdatedAt = @Now
         WHERE TaskId = @TaskId AND Status = N'dead';
        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        VALUES (@TenantId, @TaskId, @ProjectId, N'redriven', N'dead', N'ready', @CallerId, NULL);

        -- The loop further down re-blocks dependents of the project's other dead tasks, set by set: lock
        -- all those sets and this task's own dependents first, in TaskId order (_LockDependents says why).
        -- NVARCHAR(MAX) inside STRING_AGG: over a shorter type it stops at 4,000 characters (a few hundred ids).
        SET @DeadIds = (SELECT CONCAT(N'[', STRING_AGG(CAST(t.TaskId AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY t.TaskId), N']')
                          FROM mmos.TaskQueue AS t
                         WHERE t.ProjectId = @ProjectId AND (t.Status = N'dead' OR t.TaskId = @TaskId));
        EXEC mmos._LockDependents @TaskIds = @DeadIds;

        -- Every dependent, each once, level by level.
        INSERT INTO @Dependents (TaskId, Level)
        SELECT DISTINCT td.TaskId, 0 FROM mmos.TaskDependencies AS td WHERE td.DependsOnTaskId = @TaskId;
        SET @Added = @@ROWCOUNT;
        WHILE @Added > 0
        BEGIN
            INSERT INTO @Dependents (TaskId, Level)
            SELECT DISTINCT td.TaskId, @Level + 1
              FROM @Dependents AS d
              JOIN mmos.TaskDependencies AS td ON td.DependsOnTaskId = d.TaskId
             WHERE d.Level = @Level AND NOT EXISTS (SELECT 1 FROM @Dependents AS x WHERE x.TaskId = td.TaskId);
            SET @Added = @@ROWCOUNT;
            SET @Level = @Level + 1;
        END

        UPDATE t
           SET BlockedReason = NULL, UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId INTO @Unmarked (TaskId, TenantId, ProjectId)
          FROM @Dependents AS d
          JOIN mmos.TaskQueue AS t ON t.TaskId = d.TaskId
         WHERE t.Status = N'blocked' AND t.BlockedReason = @Reason
        OPTION (LOOP JOIN, FORCE ORDER);

        -- A dependent may also sit below another dead task: give it that task's reason back.
        IF EXISTS (SELECT 1 FROM @Unmarked)
        BEGIN
            WHILE 1 = 1
            BEGIN
                SELECT TOP (1) @DeadId = t.TaskId FROM mmos.TaskQueue AS t
                 WHERE t.ProjectId = @ProjectId AND t.Status = N'dead' AND t.TaskId > @DeadId
                 ORDER BY t.TaskId;
                IF @@ROWCOUNT = 0 BREAK;
                EXEC mmos._BlockDependents @TaskId = @DeadId, @Actor = @CallerId;
            END
        END

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT u.TenantId, u.TaskId, u.ProjectId, N'failure_cleared', N'blocked', N'blocked', @CallerId,
               CONCAT(N'dependency ', @TaskId, N' redriven')
          FROM @Unmarked AS u
          JOIN mmos.TaskQueue AS t ON t.TaskId = u.TaskId
         WHERE t.BlockedReason IS NULL
         ORDER BY u.TaskId;
        SET @Cleared = @@ROWCOUNT;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.Status AS Status,
           @Cleared AS ClearedDependents
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

/*
@procedure CancelTask
@summary Cancel a task and every task that depends on it, directly or through others, and is not done.
@description Cancelled is final. The walk follows the dependencies down from the task, each task
once however many paths lead to it. A running task loses its lease, so its worker's later
complete, fail or progress report is refused. Each cancelled task gets a 'cancelled' event carrying
the reason. When no task of the project is left to do, the project becomes completed (as when the
last task completes). Refused for a task that is already done or cancelled.
@roles admin
@toolset orchestrator
@writes true
@destructive true
@idempotent false
@param TaskId The task to cancel, with its dependents.
@param Reason Why (up to 400 characters); kept in the task events.
@access WorkSessions -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 oversized reason; 50404 unknown task; 50409 task already done or cancelled
*/
CREATE OR ALTER PROCEDURE mmos.CancelTask
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100),
    @TaskId    BIGINT,
    @Reason    NVARCHAR(400) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(2048), @ProjectId BIGINT, @Status NVARCHAR(20), @TaskKey NVARCHAR(100), @Level INT = 0, @Added INT,
            @Now DATETIME2(3) = SYSUTCDATETIME();
    DECLARE @Walk TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Level INT NOT NULL);
    DECLARE @Cancelled TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TaskKey NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL,
                              PreviousStatus NVARCHAR(20) COLLATE DATABASE_DEFAULT NOT NULL);

    EXEC mmos._CheckText N'caller id', @CallerId, 100, 1;
    EXEC mmos._CheckText N'reason', @Reason, 400, 0;

    SELECT @ProjectId = t.ProjectId FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;
    IF @ProjectId IS NULL
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        -- The project first (the global order); its "anything left to do?" check below then runs
        -- one at a time with the completions of the same project.
        SELECT @ProjectId = ws.ProjectId FROM mmos.WorkSessions AS ws WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE ws.ProjectId = @ProjectId;
        SELECT @Status = t.Status, @TaskKey = t.TaskKey FROM mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK) WHERE t.TaskId = @TaskId;
        IF @Status IN (N'done', N'cancelled')
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' is already ', @Status);
            THROW 50409, @Message, 1;
        END

        -- Level by level down the dependencies, each dependent once however many paths lead to it
        -- (a recursive CTE would revisit shared dependents once per path); the walk stops at tasks
        -- that are done or cancelled already.
        INSERT INTO @Walk (TaskId, Level) VALUES (@TaskId, 0);
        SET @Added = 1;
        WHILE @Added > 0
        BEGIN
            INSERT INTO @Walk (TaskId, Level)
            SELECT DISTINCT td.TaskId, @Level + 1
              FROM @Walk AS w
              JOIN mmos.TaskDependencies AS td ON td.DependsOnTaskId = w.TaskId
              JOIN mmos.TaskQueue AS t ON t.TaskId = td.TaskId
             WHERE w.Level = @Level AND t.Status NOT IN (N'done', N'cancelled')
               AND NOT EXISTS (SELECT 1 FROM @Walk AS x WHERE x.TaskId = td.TaskId);
            SET @Added = @@ROWCOUNT;
            SET @Level = @Level + 1;
        END

        -- A running task loses its lease: its worker's complete, fail or progress is refused.
        UPDATE t
           SET Status = N'cancelled', LeaseToken = NULL, LeaseExpiresAt = NULL, UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TaskKey, deleted.Status INTO @Cancelled (TaskId, TaskKey, PreviousStatus)
          FROM @Walk AS w
          JOIN mmos.TaskQueue AS t ON t.TaskId = w.TaskId
         WHERE t.Status NOT IN (N'done', N'cancelled')
        OPTION (LOOP JOIN, FORCE ORDER);

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT @TenantId, c.TaskId, @ProjectId, N'cancelled', c.PreviousStatus, N'cancelled', @CallerId,
               CASE WHEN c.TaskId = @TaskId THEN @Reason
                    ELSE CONCAT(N'dependency ', @TaskKey, N' cancelled', CASE WHEN @Reason IS NULL THEN N'' ELSE N': ' + @Reason END) END
          FROM @Cancelled AS c
         ORDER BY c.TaskId;

        IF NOT EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.ProjectId = @ProjectId AND t.Status NOT IN (N'done', N'cancelled'))
            UPDATE mmos.WorkSessions SET Status = N'completed', CompletedAt = @Now WHERE ProjectId = @ProjectId AND Status = N'active';
    COMMIT TRANSACTION;

    SELECT c.TaskId AS TaskId,
           c.TaskKey AS TaskKey,
           c.PreviousStatus AS PreviousStatus
      FROM @Cancelled AS c
     ORDER BY c.TaskId;
END;
GO

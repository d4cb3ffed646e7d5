/*
@procedure ClaimNextTask
@summary Claim the next task this worker may run, under a lease; no row when there is nothing to do.
@description Hands out one ready task whose not-before time has passed, whose project is active,
whose required capabilities are all among the worker's, whose complexity the worker's quality tier
covers (low needs tier 1, medium 2, high 3), and which is assigned to nobody or to this worker (a
task assigned to another worker is never taken); a premium worker (tier 3) takes nothing from a
project whose recorded cost has reached its budget. Order: tasks assigned to this worker first
(AssignReadyTasks or the admin put them there), then higher priority, then older tasks; a worker
with nothing assigned still takes an unassigned task, so work flows before routing has run.
Claiming clears the task's RoutingNote. The claim refreshes the worker's heartbeat, never
takes the worker beyond its capacity, counts an attempt, and returns a lease token that progress,
complete, fail and release must present; the lease lasts LeaseSeconds and each progress report
extends it. The row carries the results of the task's dependencies (DependencyResults: JSON array
of {taskId, taskKey, title, result}). A draining or offline worker gets no row rather than an
error: a worker loop handles "nothing to do" and "take no more work" the same way, and a draining
worker keeps its heartbeat fresh while it finishes what it holds. An offline worker comes back with
Heartbeat or RegisterWorker.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param LeaseSeconds How long the lease lasts (1-86400 seconds) before the sweep takes the task back.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 lease seconds out of range; 50404 unknown worker
*/
CREATE OR ALTER PROCEDURE mmos.ClaimNextTask
    @TenantId      NVARCHAR(64),
    @CallerId      NVARCHAR(100),
    @LeaseSeconds  INT = 300
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @LeaseSeconds IS NULL OR @LeaseSeconds NOT BETWEEN 1 AND 86400
        THROW 50400, N'lease seconds must be between 1 and 86400', 1;

    DECLARE @Message NVARCHAR(400), @InstanceId BIGINT, @QualityTier INT, @WorkerStatus NVARCHAR(20), @Capacity INT, @Running INT,
            @Want BIGINT, @TaskId BIGINT, @Now DATETIME2(3) = SYSUTCDATETIME(), @LeaseToken UNIQUEIDENTIFIER = NEWID();
    DECLARE @Claimed TABLE (TaskId BIGINT NOT NULL, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL, MaxAttempts INT NOT NULL);

    SELECT @InstanceId = mi.InstanceId, @QualityTier = mi.QualityTier
      FROM mmos.ModelInstances AS mi WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        -- The worker's pool row stays locked until commit: two claims by one worker run one after
        -- the other, so the running count below is exact and capacity is never exceeded.
        SELECT @WorkerStatus = wp.Status, @Capacity = wp.WorkerCapacity
          FROM mmos.WorkerPool AS wp WITH (UPDLOCK, HOLDLOCK, ROWLOCK)
         WHERE wp.InstanceId = @InstanceId;
        UPDATE mmos.WorkerPool SET LastHeartbeatAt = @Now WHERE InstanceId = @InstanceId;
        SELECT @Running = COUNT(*) FROM mmos.TaskQueue AS t WHERE t.ClaimedByInstanceId = @InstanceId AND t.Status = N'running';

        -- Two passes: tasks assigned to this worker (only when IX_TaskQueue_Assigned shows some), then
        -- unassigned ones; each walks the clustered index in dequeue order (Priority DESC, TaskId)
        -- and READPAST skips rows other claims hold.
        IF @WorkerStatus = N'online' AND @Running < @Capacity
            SET @Want = CASE WHEN EXISTS (SELECT 1 FROM mmos.TaskQueue AS a
                                           WHERE a.AssignedInstanceId IS NOT NULL AND a.AssignedInstanceId = @InstanceId AND a.Status = N'ready')
                             THEN @InstanceId ELSE 0 END;
        WHILE @Want IS NOT NULL AND @TaskId IS NULL
        BEGIN
            WITH candidate AS (
                SELECT TOP (1) t.TaskId, t.TenantId, t.ProjectId, t.Status, t.ClaimedByInstanceId, t.LeaseToken, t.LeaseExpiresAt,
                       t.Attempts, t.MaxAttempts, t.StartedAt, t.UpdatedAt, t.ProgressPercent, t.ProgressNote, t.RoutingNote
                  FROM mmos.TaskQueue AS t WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
                 WHERE t.TenantId = @TenantId AND t.Status = N'ready' AND t.NotBefore <= @Now
                   AND ISNULL(t.AssignedInstanceId, 0) = @Want
                   AND EXISTS (SELECT 1 FROM mmos.WorkSessions AS ws
                                WHERE ws.ProjectId = t.ProjectId AND ws.Status = N'active'
                                  -- a spent budget keeps premium (tier 3) workers away
                                  AND (@QualityTier < 3 OR ws.BudgetUsd IS NULL
                                       OR ws.BudgetUsd > (SELECT ISNULL(SUM(u.CostUsd), 0) FROM mmos.UsageRecords AS u WHERE u.ProjectId = ws.ProjectId)))
                   AND @QualityTier >= CASE t.Complexity WHEN N'high' THEN 3 WHEN N'medium' THEN 2 ELSE 1 END
                   AND NOT EXISTS (SELECT 1 FROM mmos.TaskRequiredCapabilities AS rc
                                    WHERE rc.TaskId = t.TaskId
                                      AND NOT EXISTS (SELECT 1 FROM mmos.ModelInstanceCapabilities AS mc
                                                       WHERE mc.InstanceId = @InstanceId AND mc.Capability = rc.Capability))
                 ORDER BY t.Priority DESC, t.TaskId
            )
            UPDATE candidate
               SET Status = N'running', ClaimedByInstanceId = @InstanceId, LeaseToken = @LeaseToken,
                   LeaseExpiresAt = DATEADD(SECOND, @LeaseSeconds, @Now), Attempts = Attempts + 1,
                   StartedAt = @Now, UpdatedAt = @Now, ProgressPercent = NULL, ProgressNote = NULL, RoutingNote = NULL
            OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, inserted.Attempts, inserted.MaxAttempts
              INTO @Claimed (TaskId, TenantId, ProjectId, Attempts, MaxAttempts)
             WHERE Status = N'ready';

            SELECT @TaskId = c.TaskId FROM @Claimed AS c;
            SET @Want = CASE WHEN @Want = 0 THEN NULL ELSE 0 END;
        END

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT c.TenantId, c.TaskId, c.ProjectId, N'claimed', N'ready', N'running', @CallerId,
               CONCAT(N'attempt ', c.Attempts, N' of ', c.MaxAttempts)
          FROM @Claimed AS c;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.ProjectId AS ProjectId,
           t.TaskKey AS TaskKey,
           t.Title AS Title,
           t.Description AS Description,
           t.TaskType AS TaskType,
           t.Phase AS Phase,
           t.Priority AS Priority,
           t.Complexity AS Complexity,
           t.Attempts AS Attempts,
           t.MaxAttempts AS MaxAttempts,
           t.LeaseToken AS LeaseToken,
           t.LeaseExpiresAt AS LeaseExpiresAt,
           t.ReviewFeedback AS ReviewFeedback,
           ISNULL((SELECT d.TaskId AS taskId, d.TaskKey AS taskKey, d.Title AS title, d.Result AS result
                     FROM mmos.TaskDependencies AS td
                     JOIN mmos.TaskQueue AS d ON d.TaskId = td.DependsOnTaskId
                    WHERE td.TaskId = t.TaskId
                    ORDER BY d.TaskId
                      FOR JSON PATH, INCLUDE_NULL_VALUES), N'[]') AS DependencyResults
      FROM mmos.TaskQueue AS t
     WHERE t.TaskId = @TaskId;
END;
GO

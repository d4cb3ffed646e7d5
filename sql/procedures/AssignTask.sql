/*
@procedure AssignTask
@summary Assign a task to a named worker: that worker's next claim takes it first, and no other worker takes it.
@description For a task that is blocked, ready or waiting to retry. The worker must be online and
have every capability the task requires and a quality tier that covers the task's complexity (low
1, medium 2, high 3), and may not be premium (tier 3) once the project's recorded cost has reached
its budget (otherwise the task could never be claimed). Assigning again moves the task to the new
worker. A manual assignment (AssignmentSource 'manual') is never changed by automatic routing
(AssignReadyTasks) nor by the offline sweep, and clears the task's RoutingNote. The task keeps its place in the dependency order: a
blocked task is claimed once its dependencies are done.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent true
@param TaskId The task to assign.
@param WorkerId The worker id of the worker that should run it.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized worker id; 50404 unknown task or worker; 50409 task not blocked, ready or retry_wait, worker not online, worker lacks a required capability or the tier the task needs, premium worker while the project's budget is spent
*/
CREATE OR ALTER PROCEDURE mmos.AssignTask
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100),
    @TaskId    BIGINT,
    @WorkerId  NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(2048), @InstanceId BIGINT, @WorkerStatus NVARCHAR(20), @Status NVARCHAR(20), @Missing NVARCHAR(50),
            @QualityTier INT, @NeededTier INT, @ProjectId BIGINT, @Now DATETIME2(3) = SYSUTCDATETIME();

    EXEC mmos._CheckText N'caller id', @CallerId, 100, 1;
    EXEC mmos._CheckText N'worker id', @WorkerId, 100, 1;

    SELECT @InstanceId = mi.InstanceId, @WorkerStatus = wp.Status, @QualityTier = mi.QualityTier
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
     WHERE mi.TenantId = @TenantId AND mi.WorkerId = @WorkerId;

    BEGIN TRANSACTION;
        SELECT @Status = t.Status, @ProjectId = t.ProjectId,
               @NeededTier = CASE t.Complexity WHEN N'high' THEN 3 WHEN N'medium' THEN 2 ELSE 1 END
          FROM mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK) WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;
        IF @Status IS NULL
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' not found');
            THROW 50404, @Message, 1;
        END
        IF @InstanceId IS NULL
        BEGIN
            SET @Message = CONCAT(N'worker ', @WorkerId, N' not found');
            THROW 50404, @Message, 1;
        END
        IF @Status NOT IN (N'blocked', N'ready', N'retry_wait')
        BEGIN
            SET @Message = CONCAT(N'task ', @TaskId, N' is ', @Status, N'; only blocked, ready or retry_wait tasks can be assigned');
            THROW 50409, @Message, 1;
        END
        IF @WorkerStatus <> N'online'
        BEGIN
            SET @Message = CONCAT(N'worker ', @WorkerId, N' is ', @WorkerStatus, N', not online');
            THROW 50409, @Message, 1;
        END
        -- The claim takes only tasks whose capabilities the worker has: an assignment it could
        -- never claim would hold the task forever.
        SELECT TOP (1) @Missing = rc.Capability
          FROM mmos.TaskRequiredCapabilities AS rc
         WHERE rc.TaskId = @TaskId
           AND NOT EXISTS (SELECT 1 FROM mmos.ModelInstanceCapabilities AS mc WHERE mc.InstanceId = @InstanceId AND mc.Capability = rc.Capability)
         ORDER BY rc.Capability;
        IF @Missing IS NOT NULL
        BEGIN
            SET @Message = CONCAT(N'worker ', @WorkerId, N' lacks capability "', @Missing, N'", which task ', @TaskId, N' requires');
            THROW 50409, @Message, 1;
        END
        IF @QualityTier < @NeededTier
        BEGIN
            SET @Message = CONCAT(N'worker ', @WorkerId, N' has quality tier ', @QualityTier, N'; task ', @TaskId, N' needs tier ', @NeededTier, N' or more');
            THROW 50409, @Message, 1;
        END
        IF @QualityTier = 3
           AND EXISTS (SELECT 1 FROM mmos.WorkSessions AS ws
                        WHERE ws.ProjectId = @ProjectId AND ws.BudgetUsd IS NOT NULL
                          AND ws.BudgetUsd <= (SELECT ISNULL(SUM(u.CostUsd), 0) FROM mmos.UsageRecords AS u WHERE u.ProjectId = ws.ProjectId))
        BEGIN
            SET @Message = CONCAT(N'budget spent: project ', @ProjectId, N' no longer takes premium workers such as ', @WorkerId, N' (tier 3)');
            THROW 50409, @Message, 1;
        END

        UPDATE mmos.TaskQueue
           SET AssignedInstanceId = @InstanceId, AssignmentSource = N'manual', RoutingNote = NULL, UpdatedAt = @Now
         WHERE TaskId = @TaskId AND Status IN (N'blocked', N'ready', N'retry_wait');

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT t.TenantId, t.TaskId, t.ProjectId, N'assigned', t.Status, t.Status, @CallerId, CONCAT(N'assigned to ', @WorkerId)
          FROM mmos.TaskQueue AS t
         WHERE t.TaskId = @TaskId;
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.TaskKey AS TaskKey,
           t.Status AS Status,
           mi.WorkerId AS AssignedWorkerId
      FROM mmos.TaskQueue AS t
      JOIN mmos.ModelInstances AS mi ON mi.InstanceId = t.AssignedInstanceId
     WHERE t.TaskId = @TaskId;
END;
GO

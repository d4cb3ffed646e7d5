/*
@procedure GetTask
@summary Everything about one task: what to do, its state, its dependencies, its result or error.
@description The task's key, title, description, type, phase, priority and complexity; its status
(and why it is blocked, with the number of unmet dependencies), the worker holding or having run it
and the worker it is assigned to (AssignmentSource: 'manual' by the admin, 'auto' by
AssignReadyTasks), the worker the plan preferred, RoutingNote (why no worker was assigned, e.g.
'budget spent: premium models excluded'), the lease end, attempts, not-before time, progress, result, last
error and review feedback; DependsOn (JSON array of the task ids it waits for) and
RequiredCapabilities (JSON array of names). The lease token is never shown: only the claim gives it.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param TaskId The task to read.
@access ModelInstances -> WorkSessions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities
@throws 50404 unknown task
*/
CREATE OR ALTER PROCEDURE mmos.GetTask
    @TenantId  NVARCHAR(64),
    @TaskId    BIGINT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(2048);

    IF NOT EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId)
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' not found');
        THROW 50404, @Message, 1;
    END

    SELECT t.TaskId AS TaskId,
           t.ProjectId AS ProjectId,
           ws.ProjectName AS ProjectName,
           t.TaskKey AS TaskKey,
           t.Title AS Title,
           t.Description AS Description,
           t.TaskType AS TaskType,
           t.Phase AS Phase,
           t.Priority AS Priority,
           t.Complexity AS Complexity,
           t.Status AS Status,
           t.BlockedReason AS BlockedReason,
           t.UnmetDependencies AS UnmetDependencies,
           claimed.WorkerId AS WorkerId,
           assigned.WorkerId AS AssignedWorkerId,
           t.AssignmentSource AS AssignmentSource,
           preferred.WorkerId AS PreferredWorkerId,
           t.RoutingNote AS RoutingNote,
           t.LeaseExpiresAt AS LeaseExpiresAt,
           t.Attempts AS Attempts,
           t.MaxAttempts AS MaxAttempts,
           t.NotBefore AS NotBefore,
           t.ProgressPercent AS ProgressPercent,
           t.ProgressNote AS ProgressNote,
           t.Result AS Result,
           t.LastError AS LastError,
           t.RequiresReview AS RequiresReview,
           t.ReviewFeedback AS ReviewFeedback,
           ISNULL((SELECT N'[' + STRING_AGG(CAST(d.DependsOnTaskId AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY d.DependsOnTaskId) + N']'
                     FROM mmos.TaskDependencies AS d WHERE d.TaskId = t.TaskId), N'[]') AS DependsOn,
           ISNULL((SELECT N'[' + STRING_AGG(N'"' + STRING_ESCAPE(c.Capability, 'json') + N'"', N',') WITHIN GROUP (ORDER BY c.Capability) + N']'
                     FROM mmos.TaskRequiredCapabilities AS c WHERE c.TaskId = t.TaskId), N'[]') AS RequiredCapabilities,
           t.CreatedBy AS CreatedBy,
           t.CreatedAt AS CreatedAt,
           t.StartedAt AS StartedAt,
           t.CompletedAt AS CompletedAt,
           t.UpdatedAt AS UpdatedAt
      FROM mmos.TaskQueue AS t
      JOIN mmos.WorkSessions AS ws ON ws.ProjectId = t.ProjectId
      LEFT JOIN mmos.ModelInstances AS claimed ON claimed.InstanceId = t.ClaimedByInstanceId
      LEFT JOIN mmos.ModelInstances AS assigned ON assigned.InstanceId = t.AssignedInstanceId
      LEFT JOIN mmos.ModelInstances AS preferred ON preferred.InstanceId = t.PreferredInstanceId
     WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId;
END;
GO

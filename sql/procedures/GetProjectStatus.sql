/*
@procedure GetProjectStatus
@summary One project's tasks with their state, plus the project's counts and progress on every row.
@description One row per task, in task id order: key, title, type, phase, status (and why it is
blocked; RoutingNote: why no worker was assigned, e.g. 'budget spent: premium models excluded'), priority, the worker that holds or ran it (else the worker it is assigned to), attempts
and progress. Every row repeats the project's figures: name, status, progress (done among the tasks
that are not cancelled), how many tasks are blocked, ready, running, in review, done, failed
(waiting to retry or dead) and cancelled, and the current phase (that of the oldest task not yet
done or cancelled; empty when all are). A project without tasks gives one row whose task columns
are empty. Workers may read the project they work on.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param ProjectId The project to report on.
@access WorkSessions -> TaskQueue
@throws 50404 unknown project
*/
CREATE OR ALTER PROCEDURE mmos.GetProjectStatus
    @TenantId   NVARCHAR(64),
    @ProjectId  BIGINT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(2048), @ProjectName NVARCHAR(200), @ProjectStatus NVARCHAR(20), @CurrentPhase NVARCHAR(100),
            @TaskCount INT, @Blocked INT, @Ready INT, @Running INT, @Review INT, @Done INT, @Failed INT, @Cancelled INT;

    SELECT @ProjectName = ws.ProjectName, @ProjectStatus = ws.Status
      FROM mmos.WorkSessions AS ws
     WHERE ws.ProjectId = @ProjectId AND ws.TenantId = @TenantId;
    IF @ProjectName IS NULL
    BEGIN
        SET @Message = CONCAT(N'project ', @ProjectId, N' not found');
        THROW 50404, @Message, 1;
    END

    SELECT @TaskCount = COUNT(*),
           @Blocked = ISNULL(SUM(CASE WHEN t.Status = N'blocked' THEN 1 ELSE 0 END), 0),
           @Ready = ISNULL(SUM(CASE WHEN t.Status = N'ready' THEN 1 ELSE 0 END), 0),
           @Running = ISNULL(SUM(CASE WHEN t.Status = N'running' THEN 1 ELSE 0 END), 0),
           @Review = ISNULL(SUM(CASE WHEN t.Status = N'review' THEN 1 ELSE 0 END), 0),
           @Done = ISNULL(SUM(CASE WHEN t.Status = N'done' THEN 1 ELSE 0 END), 0),
           @Failed = ISNULL(SUM(CASE WHEN t.Status IN (N'retry_wait', N'dead') THEN 1 ELSE 0 END), 0),
           @Cancelled = ISNULL(SUM(CASE WHEN t.Status = N'cancelled' THEN 1 ELSE 0 END), 0)
      FROM mmos.TaskQueue AS t
     WHERE t.ProjectId = @ProjectId;

    SELECT TOP (1) @CurrentPhase = t.Phase
      FROM mmos.TaskQueue AS t
     WHERE t.ProjectId = @ProjectId AND t.Status NOT IN (N'done', N'cancelled')
     ORDER BY t.TaskId;

    SELECT t.TaskId AS TaskId,
           t.TaskKey AS TaskKey,
           t.Title AS Title,
           t.TaskType AS TaskType,
           t.Phase AS Phase,
           t.Status AS Status,
           t.BlockedReason AS BlockedReason,
           t.RoutingNote AS RoutingNote,
           t.UnmetDependencies AS UnmetDependencies,
           t.Priority AS Priority,
           COALESCE(claimed.WorkerId, assigned.WorkerId) AS WorkerId,
           t.Attempts AS Attempts,
           t.MaxAttempts AS MaxAttempts,
           t.ProgressPercent AS ProgressPercent,
           @ProjectName AS ProjectName,
           @ProjectStatus AS ProjectStatus,
           CASE WHEN @TaskCount - @Cancelled = 0 THEN 0 ELSE @Done * 100 / (@TaskCount - @Cancelled) END AS ProjectProgressPercent,
           @TaskCount AS TaskCount,
           @Blocked AS BlockedCount,
           @Ready AS ReadyCount,
           @Running AS RunningCount,
           @Review AS ReviewCount,
           @Done AS DoneCount,
           @Failed AS FailedCount,
           @Cancelled AS CancelledCount,
           @CurrentPhase AS CurrentPhase
      FROM mmos.WorkSessions AS ws
      LEFT JOIN mmos.TaskQueue AS t ON t.ProjectId = ws.ProjectId
      LEFT JOIN mmos.ModelInstances AS claimed ON claimed.InstanceId = t.ClaimedByInstanceId
      LEFT JOIN mmos.ModelInstances AS assigned ON assigned.InstanceId = t.AssignedInstanceId
     WHERE ws.ProjectId = @ProjectId
     ORDER BY t.TaskId;
END;
GO

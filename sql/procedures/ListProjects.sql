/*
@procedure ListProjects
@summary List the projects with their task counts and progress, optionally only those in one state.
@description One row per project of the tenant, highest priority first, then oldest first.
ProgressPercent is the share of done tasks among the tasks that still count (all but cancelled
ones), rounded down; 0 for a project without tasks.
@roles admin
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param Status Only projects in this state: active, completed or cancelled (optional).
@access WorkSessions -> TaskQueue
@throws 50400 unknown status
*/
CREATE OR ALTER PROCEDURE mmos.ListProjects
    @TenantId  NVARCHAR(64),
    @Status    NVARCHAR(20) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Message NVARCHAR(2048);

    SET @Status = LOWER(@Status);
    IF @Status NOT IN (N'active', N'completed', N'cancelled')
    BEGIN
        SET @Message = CONCAT(N'status "', LEFT(@Status, 50), N'" is not one of active, completed, cancelled');
        THROW 50400, @Message, 1;
    END

    SELECT ws.ProjectId AS ProjectId,
           ws.ProjectName AS ProjectName,
           ws.Status AS Status,
           ws.Priority AS Priority,
           ws.BudgetUsd AS BudgetUsd,
           c.TaskCount AS TaskCount,
           c.DoneCount AS DoneCount,
           CASE WHEN c.TaskCount - c.CancelledCount = 0 THEN 0 ELSE c.DoneCount * 100 / (c.TaskCount - c.CancelledCount) END AS ProgressPercent,
           ws.CreatedBy AS CreatedBy,
           ws.CreatedAt AS CreatedAt
      FROM mmos.WorkSessions AS ws
     CROSS APPLY (SELECT COUNT(*) AS TaskCount,
                         ISNULL(SUM(CASE WHEN t.Status = N'done' THEN 1 ELSE 0 END), 0) AS DoneCount,
                         ISNULL(SUM(CASE WHEN t.Status = N'cancelled' THEN 1 ELSE 0 END), 0) AS CancelledCount
                    FROM mmos.TaskQueue AS t
                   WHERE t.ProjectId = ws.ProjectId) AS c
     WHERE ws.TenantId = @TenantId AND (@Status IS NULL OR ws.Status = @Status)
     ORDER BY ws.Priority DESC, ws.ProjectId;
END;
GO

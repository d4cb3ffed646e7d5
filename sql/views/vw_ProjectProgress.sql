/*
@view vw_ProjectProgress
@summary Per project: tasks by status, progress, current phase, tokens and cost so far.
@description One row per project (work session) of every tenant; filter on TenantId.
ProgressPercent = done tasks * 100 / tasks that are not cancelled, rounded down (0 with no tasks).
CurrentPhase is the phase of the earliest-created unfinished task (not done or cancelled) that has
a phase, so a project stuck on a dead task shows where it is stuck; NULL when nothing is left.
TokensIn, TokensOut and CostUsd add up UsageRecords; BudgetUsd is the project's budget, if any.
@access WorkSessions -> TaskQueue -> UsageRecords
*/
IF OBJECT_ID(N'mmos.vw_ProjectProgress', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_ProjectProgress AS SELECT 1 AS Placeholder');
GO
ALTER VIEW mmos.vw_ProjectProgress AS
SELECT s.TenantId AS TenantId,
       s.ProjectId AS ProjectId,
       s.ProjectName AS ProjectName,
       s.Status AS ProjectStatus,
       c.TotalTasks AS TotalTasks,
       c.BlockedTasks AS BlockedTasks,
       c.ReadyTasks AS ReadyTasks,
       c.RunningTasks AS RunningTasks,
       c.ReviewTasks AS ReviewTasks,
       c.RetryWaitTasks AS RetryWaitTasks,
       c.DoneTasks AS DoneTasks,
       c.DeadTasks AS DeadTasks,
       c.CancelledTasks AS CancelledTasks,
       CASE WHEN c.TotalTasks - c.CancelledTasks = 0 THEN 0
            ELSE c.DoneTasks * 100 / (c.TotalTasks - c.CancelledTasks) END AS ProgressPercent,
       ph.Phase AS CurrentPhase,
       u.TokensIn AS TokensIn,
       u.TokensOut AS TokensOut,
       u.CostUsd AS CostUsd,
       s.BudgetUsd AS BudgetUsd,
       s.CreatedAt AS CreatedAt
  FROM mmos.WorkSessions AS s
 CROSS APPLY (SELECT COUNT(*) AS TotalTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'blocked' THEN 1 ELSE 0 END), 0) AS BlockedTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'ready' THEN 1 ELSE 0 END), 0) AS ReadyTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'running' THEN 1 ELSE 0 END), 0) AS RunningTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'review' THEN 1 ELSE 0 END), 0) AS ReviewTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'retry_wait' THEN 1 ELSE 0 END), 0) AS RetryWaitTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'done' THEN 1 ELSE 0 END), 0) AS DoneTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'dead' THEN 1 ELSE 0 END), 0) AS DeadTasks,
                     ISNULL(SUM(CASE WHEN t.Status = N'cancelled' THEN 1 ELSE 0 END), 0) AS CancelledTasks
                FROM mmos.TaskQueue AS t
               WHERE t.ProjectId = s.ProjectId) AS c
 CROSS APPLY (SELECT ISNULL(SUM(r.TokensIn), 0) AS TokensIn,
                     ISNULL(SUM(r.TokensOut), 0) AS TokensOut,
                     ISNULL(SUM(r.CostUsd), 0) AS CostUsd
                FROM mmos.UsageRecords AS r
               WHERE r.ProjectId = s.ProjectId) AS u
 OUTER APPLY (SELECT TOP (1) t.Phase AS Phase
                FROM mmos.TaskQueue AS t
               WHERE t.ProjectId = s.ProjectId AND t.Phase IS NOT NULL
                 AND t.Status NOT IN (N'done', N'cancelled')
               ORDER BY t.TaskId) AS ph;
GO

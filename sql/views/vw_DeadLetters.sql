/*
@view vw_DeadLetters
@summary Dead tasks (attempts used up) with their last error and what they hold up.
@description One row per task in status dead, of every tenant; filter on TenantId. DiedAt is the
task's last change. BlockedDependents counts the tasks that depend directly on it and are still
blocked: the work that waits until someone retries or cancels the dead task.
@access WorkSessions -> TaskQueue -> TaskDependencies
*/
IF OBJECT_ID(N'mmos.vw_DeadLetters', N'V') IS NULL EXEC(N'CREATE VIEW mmos.vw_DeadLetters AS SELECT 1 AS Placeholder');
GO
ALTER VIEW mmos.vw_DeadLetters AS
SELECT t.TenantId AS TenantId,
       t.TaskId AS TaskId,
       t.ProjectId AS ProjectId,
       s.ProjectName AS ProjectName,
       t.TaskKey AS TaskKey,
       t.Title AS Title,
       t.Phase AS Phase,
       t.Attempts AS Attempts,
       t.MaxAttempts AS MaxAttempts,
       t.LastError AS LastError,
       t.UpdatedAt AS DiedAt,
       dep.BlockedDependents AS BlockedDependents
  FROM mmos.TaskQueue AS t
  JOIN mmos.WorkSessions AS s ON s.ProjectId = t.ProjectId
 CROSS APPLY (SELECT COUNT(*) AS BlockedDependents
                FROM mmos.TaskDependencies AS d
                JOIN mmos.TaskQueue AS b ON b.TaskId = d.TaskId
               WHERE d.DependsOnTaskId = t.TaskId AND b.Status = N'blocked') AS dep
 WHERE t.Status = N'dead';
GO

/*
@procedure _EstimateComplexity
@summary Give each new task of a project that has no complexity one estimated from its type and description.
@description Internal helper of AddTasks, called inside its transaction for the tasks it just added
(TaskId >= FromTaskId in the project, which AddTasks holds locked). A complexity the admin gave is
never changed. Deterministic rules, the first that matches wins; "text" is the title and the
description, compared case-insensitively; "length" is the description's length in characters:
research, docs: low.
planning, review, testing, admin: medium.
coding: high when the length is over 1500 or the text names a hard subject (authentication,
security, concurrency, migration, architecture, distributed, payment); otherwise medium.
general: low when the length is 500 or less (or there is no description); otherwise medium.
The tier a task needs follows from it: low 1, medium 2, high 3 (ClaimNextTask, AssignReadyTasks).
Returns the number of tasks estimated (RETURN value / function result).
@internal true
@writes true
@access TaskQueue
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._EstimateComplexity
    @ProjectId   BIGINT,
    @FromTaskId  BIGINT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Estimated INT;

    UPDATE t
       SET Complexity = CASE WHEN t.TaskType IN (N'research', N'docs') THEN N'low'
                             WHEN t.TaskType IN (N'planning', N'review', N'testing', N'admin') THEN N'medium'
                             WHEN t.TaskType = N'coding' AND (LEN(ISNULL(t.Description, N'')) > 1500 OR h.HardSubject = 1) THEN N'high'
                             WHEN t.TaskType = N'coding' THEN N'medium'
                             WHEN LEN(ISNULL(t.Description, N'')) <= 500 THEN N'low'
                             ELSE N'medium' END
      FROM mmos.TaskQueue AS t
     CROSS APPLY (SELECT CASE WHEN EXISTS (SELECT 1
                                             FROM (VALUES (N'authentication'), (N'security'), (N'concurrency'), (N'migration'),
                                                          (N'architecture'), (N'distributed'), (N'payment')) AS s (Subject)
                                            WHERE LOWER(CONCAT(t.Title, N' ', t.Description)) LIKE N'%' + s.Subject + N'%')
                              THEN 1 ELSE 0 END AS HardSubject) AS h
     WHERE t.ProjectId = @ProjectId AND t.TaskId >= @FromTaskId AND t.Complexity IS NULL;
    SET @Estimated = @@ROWCOUNT;
    RETURN @Estimated;
END;
GO

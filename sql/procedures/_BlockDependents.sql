/*
@procedure _BlockDependents
@summary Mark every transitive dependent of a dead task as blocked by that failure.
@description Internal helper of _DeadLetterTask and RedriveTask. Walks TaskDependencies from the
dead task level by level (each dependent once, however many paths lead to it) and gives every
dependent still 'blocked' without a reason BlockedReason = 'dependency <key> failed', with a
'blocked_by_failure' event. A dependent already blocked by another failure keeps its first reason
(RedriveTask re-applies the others when it clears one). Returns the number of dependents marked.
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._BlockDependents
    @TaskId  BIGINT,
    @Actor   NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @Reason NVARCHAR(400), @Level INT = 0, @Added INT, @Blocked INT;
    DECLARE @Dependents TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Level INT NOT NULL);
    DECLARE @Marked TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, OldStatus NVARCHAR(20) NOT NULL);

    SELECT @Reason = LEFT(CONCAT(N'dependency ', t.TaskKey, N' failed'), 400) FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId;

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
       SET BlockedReason = @Reason, UpdatedAt = @Now
    OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, deleted.Status INTO @Marked (TaskId, TenantId, ProjectId, OldStatus)
      FROM @Dependents AS d
      JOIN mmos.TaskQueue AS t ON t.TaskId = d.TaskId
     WHERE t.Status = N'blocked' AND t.BlockedReason IS NULL
    OPTION (LOOP JOIN, FORCE ORDER);

    INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
    SELECT m.TenantId, m.TaskId, m.ProjectId, N'blocked_by_failure', m.OldStatus, N'blocked', @Actor, @Reason
      FROM @Marked AS m
     ORDER BY m.TaskId;
    SET @Blocked = @@ROWCOUNT;
    RETURN @Blocked;
END;
GO

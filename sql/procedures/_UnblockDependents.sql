/*
@procedure _UnblockDependents
@summary Count a finished task off its direct dependents and make ready those with nothing left to wait for.
@description Internal helper of CompleteTask (and of review approval): decrements UnmetDependencies
of the task's direct dependents through IX_TaskDependencies_DependsOn, so the cost grows with the
number of dependents, not with the queue. A dependent reaching zero goes from 'blocked' to 'ready'
with an 'unblocked' event, unless a failed dependency elsewhere still blocks it (BlockedReason set).
Dependents are locked in TaskId order (nested loops from the index), the order every writer of
dependents uses. Returns the number of dependents made ready (RETURN value / function result).
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._UnblockDependents
    @TaskId  BIGINT,
    @Actor   NVARCHAR(100)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @Unblocked INT;
    DECLARE @Changed TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL,
                            OldStatus NVARCHAR(20) NOT NULL, NewStatus NVARCHAR(20) NOT NULL);

    UPDATE t
       SET UnmetDependencies = t.UnmetDependencies - 1,
           Status = CASE WHEN t.UnmetDependencies = 1 AND t.Status = N'blocked' AND t.BlockedReason IS NULL THEN N'ready' ELSE t.Status END,
           UpdatedAt = @Now
    OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, deleted.Status, inserted.Status
      INTO @Changed (TaskId, TenantId, ProjectId, OldStatus, NewStatus)
      FROM mmos.TaskDependencies AS td
      JOIN mmos.TaskQueue AS t ON t.TaskId = td.TaskId
     WHERE td.DependsOnTaskId = @TaskId AND t.UnmetDependencies > 0
    OPTION (LOOP JOIN, FORCE ORDER);

    INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
    SELECT c.TenantId, c.TaskId, c.ProjectId, N'unblocked', c.OldStatus, c.NewStatus, @Actor, CONCAT(N'dependency ', @TaskId, N' done')
      FROM @Changed AS c
     WHERE c.OldStatus = N'blocked' AND c.NewStatus = N'ready'
     ORDER BY c.TaskId;
    SET @Unblocked = @@ROWCOUNT;
    RETURN @Unblocked;
END;
GO

/*
@procedure _DeadLetterTask
@summary Move a task to the dead letter state and block its transitive dependents with a reason.
@description Internal helper of FailTask, SweepExpiredLeases and SweepOfflineWorkers, used when a
task has used its last attempt or failed for good. Clears its lease, stores the error, writes a
'dead_lettered' event and marks every transitive dependent 'dependency <key> failed'
(_BlockDependents). The caller holds the task row locked. Returns the number of dependents blocked.
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._DeadLetterTask
    @TaskId  BIGINT,
    @Actor   NVARCHAR(100),
    @Error   NVARCHAR(4000)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @Blocked INT;
    DECLARE @Dead TABLE (TaskId BIGINT NOT NULL, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, OldStatus NVARCHAR(20) NOT NULL);

    UPDATE mmos.TaskQueue
       SET Status = N'dead', ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL,
           LastError = ISNULL(@Error, LastError), UpdatedAt = @Now
    OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, deleted.Status INTO @Dead (TaskId, TenantId, ProjectId, OldStatus)
     WHERE TaskId = @TaskId AND Status NOT IN (N'dead', N'done', N'cancelled');

    INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
    SELECT d.TenantId, d.TaskId, d.ProjectId, N'dead_lettered', d.OldStatus, N'dead', @Actor, @Error FROM @Dead AS d;

    EXEC @Blocked = mmos._BlockDependents @TaskId = @TaskId, @Actor = @Actor;
    RETURN @Blocked;
END;
GO

/*
@procedure GetTaskHistory
@summary Every event of one task, oldest first: who changed what, when, and why.
@description One row per TaskEvents row of the task: creation, assignment (with the router's
reason), claims (attempt n of m), progress, completion, reviews ('review_approved' with the note,
'changes_requested' with the feedback), failures and retries, lease expiry, release, dead letter,
redrive. Actor is the worker id, the admin, 'router' (AssignReadyTasks) or 'sweeper'.
@roles admin, worker
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param TaskId The task whose history to read.
@access TaskQueue -> TaskEvents
@throws 50404 unknown task
*/
CREATE OR ALTER PROCEDURE mmos.GetTaskHistory
    @TenantId  NVARCHAR(64),
    @TaskId    BIGINT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Message NVARCHAR(400);
    IF NOT EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.TaskId = @TaskId AND t.TenantId = @TenantId)
    BEGIN
        SET @Message = CONCAT(N'task ', @TaskId, N' not found');
        THROW 50404, @Message, 1;
    END

    SELECT e.EventId AS EventId,
           e.EventType AS EventType,
           e.FromStatus AS FromStatus,
           e.ToStatus AS ToStatus,
           e.Actor AS Actor,
           e.Detail AS Detail,
           e.CreatedAt AS CreatedAt
      FROM mmos.TaskEvents AS e
     WHERE e.TaskId = @TaskId AND e.TenantId = @TenantId
     ORDER BY e.EventId;
END;
GO

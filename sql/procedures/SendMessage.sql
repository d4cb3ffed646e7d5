/*
@procedure SendMessage
@summary Send a message to one worker, or broadcast it to everyone working on a project.
@description With ToWorkerId, the message goes to that worker (ProjectId, when given, tags it with
a project). Without ToWorkerId, it is a broadcast to the project named by ProjectId: every worker
that has or had a task in that project reads it once with ReadMessages. The sender is the caller.
MessageType is one of info, question, answer, handoff, warning (case-insensitive, stored lower case).
@roles worker, admin
@toolset executor
@writes true
@destructive false
@idempotent false
@param Content The message text (1-20000 characters).
@param ToWorkerId The worker to message; omit to broadcast to the project.
@param ProjectId The project to broadcast to (required without ToWorkerId), or the project a direct message is about.
@param MessageType info, question, answer, handoff or warning.
@access ModelInstances -> WorkSessions -> InterWorkerMessages
@throws 50400 empty or oversized content, unknown message type, neither worker nor project given; 50404 unknown worker or project
*/
CREATE OR ALTER PROCEDURE mmos.SendMessage
    @TenantId     NVARCHAR(64),
    @CallerId     NVARCHAR(100),
    @Content      NVARCHAR(MAX),
    @ToWorkerId   NVARCHAR(100) = NULL,
    @ProjectId    BIGINT = NULL,
    @MessageType  NVARCHAR(30) = N'info'
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @ToInstanceId BIGINT;
    DECLARE @MessageId BIGINT;
    DECLARE @Message NVARCHAR(400);

    EXEC mmos._CheckText N'content', @Content, 20000, 1;
    IF @MessageType IS NULL OR LOWER(@MessageType) NOT IN (N'info', N'question', N'answer', N'handoff', N'warning')
    BEGIN
        SET @Message = CONCAT(N'unknown message type ''', @MessageType, N''': use info, question, answer, handoff or warning');
        THROW 50400, @Message, 1;
    END
    IF @ToWorkerId IS NULL AND @ProjectId IS NULL
        THROW 50400, N'give a worker to message (ToWorkerId) or a project to broadcast to (ProjectId)', 1;

    IF @ToWorkerId IS NOT NULL
    BEGIN
        SELECT @ToInstanceId = mi.InstanceId
          FROM mmos.ModelInstances AS mi
         WHERE mi.TenantId = @TenantId AND mi.WorkerId = @ToWorkerId;
        IF @ToInstanceId IS NULL
        BEGIN
            SET @Message = CONCAT(N'worker ', @ToWorkerId, N' not found');
            THROW 50404, @Message, 1;
        END
    END
    IF @ProjectId IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM mmos.WorkSessions AS s WHERE s.ProjectId = @ProjectId AND s.TenantId = @TenantId)
    BEGIN
        SET @Message = CONCAT(N'project ', @ProjectId, N' not found');
        THROW 50404, @Message, 1;
    END

    INSERT INTO mmos.InterWorkerMessages (TenantId, ProjectId, FromId, ToInstanceId, MessageType, Content)
    VALUES (@TenantId, @ProjectId, @CallerId, @ToInstanceId, LOWER(@MessageType), @Content);
    SET @MessageId = CAST(SCOPE_IDENTITY() AS BIGINT);

    SELECT m.MessageId AS MessageId,
           m.CreatedAt AS CreatedAt
      FROM mmos.InterWorkerMessages AS m
     WHERE m.MessageId = @MessageId;
END;
GO

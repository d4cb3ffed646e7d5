/*
@procedure ReadMessages
@summary Read this worker's unread messages, oldest first, and mark them read.
@description Returns up to MaxMessages messages the caller has not read yet: messages sent to it,
broadcasts of projects in which it has or had a task (claimed, assigned, or any task event it
made), and tenant-wide broadcasts; its own broadcasts are not echoed back. They are marked read
in the same call, so each message reaches each worker once, even when two calls race. Call it
again for more when MaxMessages were returned. The worker is the caller.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param MaxMessages The most messages to return (1-500).
@access ModelInstances -> TaskQueue -> TaskEvents -> InterWorkerMessages -> MessageReads
@throws 50400 max messages out of range; 50404 the caller is not a registered worker
*/
CREATE OR ALTER PROCEDURE mmos.ReadMessages
    @TenantId     NVARCHAR(64),
    @CallerId     NVARCHAR(100),
    @MaxMessages  INT = 50
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @InstanceId BIGINT;
    DECLARE @Message NVARCHAR(400);
    DECLARE @Read TABLE (MessageId BIGINT NOT NULL PRIMARY KEY);

    IF @MaxMessages IS NULL OR @MaxMessages NOT BETWEEN 1 AND 500
        THROW 50400, N'max messages must be between 1 and 500', 1;
    SELECT @InstanceId = mi.InstanceId
      FROM mmos.ModelInstances AS mi
     WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;
    IF @InstanceId IS NULL
    BEGIN
        SET @Message = CONCAT(N'worker ', @CallerId, N' not found');
        THROW 50404, @Message, 1;
    END

    -- One statement picks and marks. UPDLOCK + HOLDLOCK on the read check makes a racing call by the
    -- same worker wait here, so it skips what this call marks instead of returning it a second time.
    INSERT INTO mmos.MessageReads (MessageId, InstanceId, TenantId)
    OUTPUT inserted.MessageId INTO @Read (MessageId)
    SELECT TOP (@MaxMessages) m.MessageId, @InstanceId, @TenantId
      FROM mmos.InterWorkerMessages AS m
     WHERE m.TenantId = @TenantId
       AND (m.ToInstanceId = @InstanceId
            OR (m.ToInstanceId IS NULL AND m.FromId <> @CallerId
                AND (m.ProjectId IS NULL
                     OR EXISTS (SELECT 1 FROM mmos.TaskQueue AS t
                                 WHERE t.ProjectId = m.ProjectId
                                   AND (t.ClaimedByInstanceId = @InstanceId OR t.AssignedInstanceId = @InstanceId))
                     OR EXISTS (SELECT 1 FROM mmos.TaskEvents AS e
                                 WHERE e.TenantId = @TenantId AND e.Actor = @CallerId AND e.ProjectId = m.ProjectId))))
       AND NOT EXISTS (SELECT 1 FROM mmos.MessageReads AS r WITH (UPDLOCK, HOLDLOCK)
                        WHERE r.InstanceId = @InstanceId AND r.MessageId = m.MessageId)
     ORDER BY m.CreatedAt, m.MessageId;

    SELECT m.MessageId AS MessageId,
           m.FromId AS FromId,
           m.ProjectId AS ProjectId,
           m.MessageType AS MessageType,
           m.Content AS Content,
           m.CreatedAt AS CreatedAt,
           CAST(CASE WHEN m.ToInstanceId IS NULL THEN 1 ELSE 0 END AS BIT) AS IsBroadcast
      FROM mmos.InterWorkerMessages AS m
      JOIN @Read AS r ON r.MessageId = m.MessageId
     ORDER BY m.CreatedAt, m.MessageId;
END;
GO

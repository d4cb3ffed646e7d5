/*
@procedure RegisterWorker
@summary Register this agent as a worker, or update its registration (idempotent by worker id).
@description Records the worker's model, capabilities, capacity, quality tier and prices and marks
it online. Calling it again with the same worker id updates the row instead of adding one, so a
restarted agent simply re-registers. The worker id is the caller's identity, filled by the server.
@roles worker, admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param InstanceName Display name of the agent instance, e.g. Claude-Worker-1.
@param ModelType Model family: Claude, Gemini, Codex or any other name.
@param ModelName Exact model, e.g. claude-sonnet-4-5 (optional).
@param Capabilities JSON array of capability names, e.g. ["general","coding"].
@param WorkerCapacity How many tasks the worker runs at once (1-64).
@param QualityTier 1 = basic, 2 = standard, 3 = premium.
@param InputUsdPerMillionTokens Price of a million input tokens, in USD.
@param OutputUsdPerMillionTokens Price of a million output tokens, in USD.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool
@throws 50400 empty or oversized name, malformed capabilities, capacity or tier out of range, negative price
*/
CREATE OR ALTER PROCEDURE mmos.RegisterWorker
    @TenantId                   NVARCHAR(64),
    @CallerId                   NVARCHAR(100),
    @InstanceName               NVARCHAR(200),
    @ModelType                  NVARCHAR(50),
    @ModelName                  NVARCHAR(100) = NULL,
    @Capabilities               NVARCHAR(MAX) = N'[]',
    @WorkerCapacity             INT = 1,
    @QualityTier                INT = 2,
    @InputUsdPerMillionTokens   DECIMAL(12,4) = 0,
    @OutputUsdPerMillionTokens  DECIMAL(12,4) = 0
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'worker id', @CallerId, 100, 1;
    EXEC mmos._CheckText N'instance name', @InstanceName, 200, 1;
    EXEC mmos._CheckText N'model type', @ModelType, 50, 1;
    EXEC mmos._CheckText N'model name', @ModelName, 100, 0;
    IF @WorkerCapacity IS NULL OR @WorkerCapacity NOT BETWEEN 1 AND 64 THROW 50400, N'worker capacity must be between 1 and 64', 1;
    IF @QualityTier IS NULL OR @QualityTier NOT BETWEEN 1 AND 3 THROW 50400, N'quality tier must be 1, 2 or 3', 1;
    IF ISNULL(@InputUsdPerMillionTokens, -1) < 0 OR ISNULL(@OutputUsdPerMillionTokens, -1) < 0
        THROW 50400, N'prices must be zero or more', 1;
    SET @Capabilities = ISNULL(@Capabilities, N'[]');
    IF ISJSON(@Capabilities) = 0 OR LEFT(LTRIM(@Capabilities), 1) <> N'['
        THROW 50400, N'capabilities must be a JSON array of names', 1;
    IF EXISTS (SELECT 1 FROM OPENJSON(@Capabilities) AS c WHERE c.type <> 1 OR LEN(c.value + N'.') - 1 NOT BETWEEN 1 AND 50)
        THROW 50400, N'each capability must be a name of 1 to 50 characters', 1;

    DECLARE @InstanceId BIGINT;

    BEGIN TRANSACTION;
        -- UPDLOCK + HOLDLOCK: a racing registration of the same worker id waits here instead of inserting twice.
        SELECT @InstanceId = mi.InstanceId
          FROM mmos.ModelInstances AS mi WITH (UPDLOCK, HOLDLOCK)
         WHERE mi.TenantId = @TenantId AND mi.WorkerId = @CallerId;

        IF @InstanceId IS NULL
        BEGIN
            INSERT INTO mmos.ModelInstances (TenantId, WorkerId, InstanceName, ModelType, ModelName, QualityTier,
                                             InputUsdPerMillionTokens, OutputUsdPerMillionTokens)
            VALUES (@TenantId, @CallerId, @InstanceName, @ModelType, @ModelName, @QualityTier,
                    @InputUsdPerMillionTokens, @OutputUsdPerMillionTokens);
            SET @InstanceId = CAST(SCOPE_IDENTITY() AS BIGINT);
        END
        ELSE
        BEGIN
            UPDATE mmos.ModelInstances
               SET InstanceName = @InstanceName, ModelType = @ModelType, ModelName = @ModelName,
                   QualityTier = @QualityTier, InputUsdPerMillionTokens = @InputUsdPerMillionTokens,
                   OutputUsdPerMillionTokens = @OutputUsdPerMillionTokens, LastActive = SYSUTCDATETIME()
             WHERE InstanceId = @InstanceId;
        END

        DELETE FROM mmos.ModelInstanceCapabilities WHERE InstanceId = @InstanceId;
        INSERT INTO mmos.ModelInstanceCapabilities (InstanceId, Capability, TenantId)
        SELECT DISTINCT @InstanceId, LOWER(c.value), @TenantId FROM OPENJSON(@Capabilities) AS c;

        UPDATE mmos.WorkerPool
           SET Status = N'online', WorkerCapacity = @WorkerCapacity, LastHeartbeatAt = SYSUTCDATETIME(), OfflineAt = NULL
         WHERE InstanceId = @InstanceId;
        IF @@ROWCOUNT = 0
            INSERT INTO mmos.WorkerPool (InstanceId, TenantId, Status, WorkerCapacity)
            VALUES (@InstanceId, @TenantId, N'online', @WorkerCapacity);
    COMMIT TRANSACTION;

    SELECT mi.InstanceId AS InstanceId,
           mi.WorkerId AS WorkerId,
           mi.InstanceName AS InstanceName,
           mi.ModelType AS ModelType,
           mi.ModelName AS ModelName,
           wp.Status AS Status,
           wp.WorkerCapacity AS WorkerCapacity,
           mi.QualityTier AS QualityTier,
           mi.InputUsdPerMillionTokens AS InputUsdPerMillionTokens,
           mi.OutputUsdPerMillionTokens AS OutputUsdPerMillionTokens,
           ISNULL((SELECT N'[' + STRING_AGG(N'"' + STRING_ESCAPE(c.Capability, 'json') + N'"', N',') WITHIN GROUP (ORDER BY c.Capability) + N']'
                     FROM mmos.ModelInstanceCapabilities AS c WHERE c.InstanceId = mi.InstanceId), N'[]') AS Capabilities
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
     WHERE mi.InstanceId = @InstanceId;
END;
GO

/*
@procedure ListWorkers
@summary Discover the workers: what each is, can do, costs, and how busy it is (/discover-workers).
@description One row per registered worker of the tenant, ordered by worker id, optionally only
those with one status and/or one capability. RunningTasks counts its running tasks; FreeCapacity
is what it could still claim: capacity minus running for an online worker, 0 for a draining or
offline one. SecondsSinceHeartbeat is whole seconds since its last heartbeat. Capabilities is a
JSON array of names. Reads only.
@roles admin, worker
@toolset workers
@writes false
@destructive false
@idempotent true
@param Status Only workers in this status: online, draining or offline (optional).
@param Capability Only workers with this capability, e.g. coding (optional).
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> TaskQueue
@throws 50400 unknown status filter or oversized capability
*/
CREATE OR ALTER PROCEDURE mmos.ListWorkers
    @TenantId    NVARCHAR(64),
    @Status      NVARCHAR(20) = NULL,
    @Capability  NVARCHAR(50) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Message NVARCHAR(400);

    IF @Status IS NOT NULL AND LOWER(@Status) NOT IN (N'online', N'draining', N'offline')
    BEGIN
        SET @Message = CONCAT(N'unknown worker status ''', @Status, N''': use online, draining or offline');
        THROW 50400, @Message, 1;
    END
    EXEC mmos._CheckText N'capability', @Capability, 50, 0;

    SELECT mi.WorkerId AS WorkerId,
           mi.InstanceName AS InstanceName,
           mi.ModelType AS ModelType,
           mi.ModelName AS ModelName,
           wp.Status AS Status,
           ISNULL((SELECT N'[' + STRING_AGG(N'"' + STRING_ESCAPE(c.Capability, 'json') + N'"', N',') WITHIN GROUP (ORDER BY c.Capability) + N']'
                     FROM mmos.ModelInstanceCapabilities AS c WHERE c.InstanceId = mi.InstanceId), N'[]') AS Capabilities,
           wp.WorkerCapacity AS WorkerCapacity,
           ISNULL(run.RunningTasks, 0) AS RunningTasks,
           CASE WHEN wp.Status = N'online' AND wp.WorkerCapacity > ISNULL(run.RunningTasks, 0)
                THEN wp.WorkerCapacity - ISNULL(run.RunningTasks, 0) ELSE 0 END AS FreeCapacity,
           mi.QualityTier AS QualityTier,
           mi.InputUsdPerMillionTokens AS InputUsdPerMillionTokens,
           mi.OutputUsdPerMillionTokens AS OutputUsdPerMillionTokens,
           wp.TasksCompleted AS TasksCompleted,
           wp.TasksFailed AS TasksFailed,
           wp.LastHeartbeatAt AS LastHeartbeatAt,
           CAST(DATEDIFF_BIG(MILLISECOND, wp.LastHeartbeatAt, SYSUTCDATETIME()) / 1000 AS INT) AS SecondsSinceHeartbeat
      FROM mmos.ModelInstances AS mi
      JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
      OUTER APPLY (SELECT COUNT(*) AS RunningTasks FROM mmos.TaskQueue AS t
                    WHERE t.ClaimedByInstanceId = mi.InstanceId AND t.Status = N'running') AS run
     WHERE mi.TenantId = @TenantId
       AND (@Status IS NULL OR wp.Status = LOWER(@Status))
       AND (@Capability IS NULL OR EXISTS (SELECT 1 FROM mmos.ModelInstanceCapabilities AS c
                                            WHERE c.InstanceId = mi.InstanceId AND c.Capability = LOWER(@Capability)))
     ORDER BY mi.WorkerId;
END;
GO

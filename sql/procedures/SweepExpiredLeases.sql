/*
@procedure SweepExpiredLeases
@summary Take back running tasks whose lease has expired: ready again, or dead after the last attempt.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. Takes up to BatchSize expired leases; a task with attempts left goes back to
ready (the expired attempt stays counted), one without is dead-lettered and its dependents are
blocked with a reason. Each gets a 'lease_expired' event. Safe to run concurrently and repeatedly:
rows another sweep holds are skipped and every write re-checks that the lease is still expired.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param BatchSize How many expired leases one run takes at most (1-10000).
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 batch size out of range
*/
CREATE OR ALTER PROCEDURE mmos.SweepExpiredLeases
    @TenantId   NVARCHAR(64) = NULL,
    @BatchSize  INT = 500
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @BatchSize IS NULL OR @BatchSize NOT BETWEEN 1 AND 10000
        THROW 50400, N'batch size must be between 1 and 10000', 1;

    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @DeadId BIGINT = 0, @DeadIds NVARCHAR(MAX), @Requeued INT = 0, @Dead INT = 0;
    DECLARE @Batch TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Requeue BIT NOT NULL);
    DECLARE @Back TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL);
    DECLARE @Expired TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL);

    BEGIN TRANSACTION;
        -- The batch stays locked until commit; READPAST leaves rows another sweep or a worker holds.
        INSERT INTO @Batch (TaskId, Requeue)
        SELECT TOP (@BatchSize) t.TaskId, CASE WHEN t.Attempts < t.MaxAttempts THEN 1 ELSE 0 END
          FROM mmos.TaskQueue AS t WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
         WHERE t.Status = N'running' AND t.LeaseExpiresAt < @Now AND (@TenantId IS NULL OR t.TenantId = @TenantId)
         ORDER BY t.LeaseExpiresAt, t.TaskId;

        UPDATE t
           SET Status = N'ready', ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL,
               ProgressPercent = NULL, ProgressNote = NULL, LastError = N'lease expired', UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, inserted.Attempts INTO @Back (TaskId, TenantId, ProjectId, Attempts)
          FROM @Batch AS b
          JOIN mmos.TaskQueue AS t ON t.TaskId = b.TaskId
         WHERE b.Requeue = 1 AND t.Status = N'running' AND t.LeaseExpiresAt < @Now
        OPTION (LOOP JOIN, FORCE ORDER);
        SET @Requeued = @@ROWCOUNT;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT b.TenantId, b.TaskId, b.ProjectId, N'lease_expired', N'running', N'ready', N'sweeper',
               CONCAT(N'lease expired during attempt ', b.Attempts, N'; back in the queue')
          FROM @Back AS b
         ORDER BY b.TaskId;

        -- Out of attempts: dead letter.
        INSERT INTO @Expired (TaskId, TenantId, ProjectId, Attempts)
        SELECT t.TaskId, t.TenantId, t.ProjectId, t.Attempts
          FROM @Batch AS b
          JOIN mmos.TaskQueue AS t ON t.TaskId = b.TaskId
         WHERE b.Requeue = 0 AND t.Status = N'running' AND t.LeaseExpiresAt < @Now;
        -- Several tasks may be dead-lettered below, each blocking its own dependents: lock all their
        -- dependents first, in TaskId order, so a completion unblocking some of them cannot deadlock
        -- with this sweep (mmos._LockDependents says how).
        -- NVARCHAR(MAX) inside STRING_AGG: over a shorter type it stops at 4,000 characters (a few hundred ids).
        SET @DeadIds = (SELECT CONCAT(N'[', STRING_AGG(CAST(e.TaskId AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY e.TaskId), N']')
                          FROM @Expired AS e);
        EXEC mmos._LockDependents @TaskIds = @DeadIds;
        WHILE 1 = 1
        BEGIN
            SELECT TOP (1) @DeadId = e.TaskId FROM @Expired AS e WHERE e.TaskId > @DeadId ORDER BY e.TaskId;
            IF @@ROWCOUNT = 0 BREAK;
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            SELECT e.TenantId, e.TaskId, e.ProjectId, N'lease_expired', N'running', N'dead', N'sweeper',
                   CONCAT(N'lease expired during the last attempt (', e.Attempts, N')')
              FROM @Expired AS e WHERE e.TaskId = @DeadId;
            EXEC mmos._DeadLetterTask @TaskId = @DeadId, @Actor = N'sweeper', @Error = N'lease expired after the last attempt';
            SET @Dead = @Dead + 1;
        END
    COMMIT TRANSACTION;

    SELECT @Requeued + @Dead AS ExpiredCount,
           @Requeued AS RequeuedCount,
           @Dead AS DeadCount;
END;
GO

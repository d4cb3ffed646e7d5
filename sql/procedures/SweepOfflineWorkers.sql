/*
@procedure SweepOfflineWorkers
@summary Take workers whose heartbeat stopped offline and put their running tasks back in the queue.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. An online or draining worker whose last heartbeat is older than
HeartbeatTimeoutSeconds becomes offline; each task it was running is taken back as if its lease
had expired: ready again with the attempt counted, or dead-lettered (dependents blocked) after the
last attempt, with a 'worker_offline' event. Tasks AssignReadyTasks had given such a worker
(AssignmentSource 'auto') lose that assignment, with an 'unassigned' event, so the next routing
pass gives them to a worker that is there; the admin's manual assignments stay. Safe to run concurrently and repeatedly: worker rows
another transaction holds (a worker claiming or completing right now) are skipped until the next
run, and every write re-checks the state.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param HeartbeatTimeoutSeconds How long without a heartbeat makes a worker offline (1-86400 seconds).
@access WorkerPool -> TaskQueue -> TaskDependencies -> TaskEvents
@throws 50400 timeout out of range
*/
CREATE OR ALTER PROCEDURE mmos.SweepOfflineWorkers
    @TenantId                 NVARCHAR(64) = NULL,
    @HeartbeatTimeoutSeconds  INT = 90
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @HeartbeatTimeoutSeconds IS NULL OR @HeartbeatTimeoutSeconds NOT BETWEEN 1 AND 86400
        THROW 50400, N'heartbeat timeout seconds must be between 1 and 86400', 1;

    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @DeadId BIGINT = 0, @DeadIds NVARCHAR(MAX), @Workers INT = 0, @Requeued INT = 0, @Dead INT = 0;
    DECLARE @Cutoff DATETIME2(3) = DATEADD(SECOND, -@HeartbeatTimeoutSeconds, SYSUTCDATETIME());
    DECLARE @Offline TABLE (InstanceId BIGINT NOT NULL PRIMARY KEY);
    DECLARE @Batch TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Requeue BIT NOT NULL);
    DECLARE @Back TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL);
    DECLARE @Taken TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL);
    DECLARE @Unassigned TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Status NVARCHAR(20) NOT NULL);

    BEGIN TRANSACTION;
        UPDATE wp
           SET Status = N'offline', OfflineAt = @Now
        OUTPUT inserted.InstanceId INTO @Offline (InstanceId)
          FROM mmos.WorkerPool AS wp WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
         WHERE wp.Status IN (N'online', N'draining') AND wp.LastHeartbeatAt < @Cutoff
           AND (@TenantId IS NULL OR wp.TenantId = @TenantId);
        SET @Workers = @@ROWCOUNT;

        -- The workers' rows stay locked, so none of them can claim again before this commits. Their
        -- running tasks are found first, then locked in TaskId order (this waits for rows others
        -- hold, so it keeps the order every waiting writer keeps), and read again under the lock.
        INSERT INTO @Batch (TaskId, Requeue)
        SELECT t.TaskId, 0
          FROM @Offline AS o
          JOIN mmos.TaskQueue AS t ON t.ClaimedByInstanceId = o.InstanceId
         WHERE t.Status = N'running';
        UPDATE b
           SET Requeue = CASE WHEN t.Attempts < t.MaxAttempts THEN 1 ELSE 0 END
          FROM @Batch AS b
          JOIN mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK, READCOMMITTEDLOCK) ON t.TaskId = b.TaskId
        OPTION (LOOP JOIN, FORCE ORDER);

        UPDATE t
           SET Status = N'ready', ClaimedByInstanceId = NULL, LeaseToken = NULL, LeaseExpiresAt = NULL,
               ProgressPercent = NULL, ProgressNote = NULL, LastError = N'worker went offline', UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, inserted.Attempts INTO @Back (TaskId, TenantId, ProjectId, Attempts)
          FROM @Batch AS b
          JOIN mmos.TaskQueue AS t ON t.TaskId = b.TaskId
         WHERE b.Requeue = 1 AND t.Status = N'running'
        OPTION (LOOP JOIN, FORCE ORDER);
        SET @Requeued = @@ROWCOUNT;

        -- Automatic assignments to these workers are routed again by AssignReadyTasks; manual ones stay.
        UPDATE t
           SET AssignedInstanceId = NULL, AssignmentSource = NULL, UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, inserted.Status INTO @Unassigned (TaskId, TenantId, ProjectId, Status)
          FROM @Offline AS o
          JOIN mmos.TaskQueue AS t ON t.AssignedInstanceId = o.InstanceId
         WHERE t.AssignmentSource = N'auto' AND t.Status IN (N'blocked', N'ready', N'retry_wait');

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT b.TenantId, b.TaskId, b.ProjectId, N'worker_offline', N'running', N'ready', N'sweeper',
               CONCAT(N'worker stopped sending heartbeats during attempt ', b.Attempts, N'; back in the queue')
          FROM @Back AS b
         ORDER BY b.TaskId;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT u.TenantId, u.TaskId, u.ProjectId, N'unassigned', u.Status, u.Status, N'sweeper',
               N'worker went offline: automatic assignment withdrawn, the task will be routed again'
          FROM @Unassigned AS u
         ORDER BY u.TaskId;

        INSERT INTO @Taken (TaskId, TenantId, ProjectId, Attempts)
        SELECT t.TaskId, t.TenantId, t.ProjectId, t.Attempts
          FROM @Batch AS b
          JOIN mmos.TaskQueue AS t ON t.TaskId = b.TaskId
         WHERE b.Requeue = 0 AND t.Status = N'running';
        -- Several tasks may be dead-lettered below, each blocking its own dependents: lock all their
        -- dependents first, in TaskId order, so a completion unblocking some of them cannot deadlock
        -- with this sweep (mmos._LockDependents says how).
        -- NVARCHAR(MAX) inside STRING_AGG: over a shorter type it stops at 4,000 characters (a few hundred ids).
        SET @DeadIds = (SELECT CONCAT(N'[', STRING_AGG(CAST(k.TaskId AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY k.TaskId), N']')
                          FROM @Taken AS k);
        EXEC mmos._LockDependents @TaskIds = @DeadIds;
        WHILE 1 = 1
        BEGIN
            SELECT TOP (1) @DeadId = k.TaskId FROM @Taken AS k WHERE k.TaskId > @DeadId ORDER BY k.TaskId;
            IF @@ROWCOUNT = 0 BREAK;
            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            SELECT k.TenantId, k.TaskId, k.ProjectId, N'worker_offline', N'running', N'dead', N'sweeper',
                   CONCAT(N'worker stopped sending heartbeats during the last attempt (', k.Attempts, N')')
              FROM @Taken AS k WHERE k.TaskId = @DeadId;
            EXEC mmos._DeadLetterTask @TaskId = @DeadId, @Actor = N'sweeper', @Error = N'worker went offline during the last attempt';
            SET @Dead = @Dead + 1;
        END
    COMMIT TRANSACTION;

    SELECT @Workers AS WorkersOfflined,
           @Requeued + @Dead AS TasksReleased,
           @Dead AS DeadCount;
END;
GO

/*
@procedure SweepDelayedRetries
@summary Make ready the tasks whose retry back-off has passed.
@description Scheduled entry point (SQL Server Agent job, or node-cron in db/sweeper.ts), also
callable by an admin. TenantId NULL sweeps every tenant: the job passes nothing, the server passes
the caller's tenant. Takes up to BatchSize 'retry_wait' tasks whose NotBefore has passed and makes
them ready, with a 'retry_promoted' event. Safe to run concurrently and repeatedly: rows another
sweep holds are skipped and the write re-checks the state.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param BatchSize How many tasks one run promotes at most (1-10000).
@access TaskQueue -> TaskEvents
@throws 50400 batch size out of range
*/
CREATE OR ALTER PROCEDURE mmos.SweepDelayedRetries
    @TenantId   NVARCHAR(64) = NULL,
    @BatchSize  INT = 500
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @BatchSize IS NULL OR @BatchSize NOT BETWEEN 1 AND 10000
        THROW 50400, N'batch size must be between 1 and 10000', 1;

    DECLARE @Now DATETIME2(3) = SYSUTCDATETIME(), @Promoted INT = 0;
    DECLARE @Ready TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) NOT NULL, ProjectId BIGINT NOT NULL, Attempts INT NOT NULL);

    BEGIN TRANSACTION;
        WITH due AS (
            SELECT TOP (@BatchSize) t.TaskId, t.TenantId, t.ProjectId, t.Status, t.Attempts, t.NotBefore, t.UpdatedAt
              FROM mmos.TaskQueue AS t WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
             WHERE t.Status = N'retry_wait' AND t.NotBefore <= @Now AND (@TenantId IS NULL OR t.TenantId = @TenantId)
             ORDER BY t.NotBefore, t.TaskId
        )
        UPDATE due
           SET Status = N'ready', UpdatedAt = @Now
        OUTPUT inserted.TaskId, inserted.TenantId, inserted.ProjectId, inserted.Attempts INTO @Ready (TaskId, TenantId, ProjectId, Attempts)
         WHERE Status = N'retry_wait' AND NotBefore <= @Now;
        SET @Promoted = @@ROWCOUNT;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT r.TenantId, r.TaskId, r.ProjectId, N'retry_promoted', N'retry_wait', N'ready', N'sweeper',
               CONCAT(N'back-off over; attempt ', r.Attempts + 1, N' may start')
          FROM @Ready AS r
         ORDER BY r.TaskId;
    COMMIT TRANSACTION;

    SELECT @Promoted AS PromotedCount;
END;
GO

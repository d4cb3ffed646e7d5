/*
Agent jobs: run each MMOS sweep procedure every 10 seconds, for all tenants. One job per sweep, so a
DBA can disable, time and read the history of each one alone. To add a sweep, add a row to @Sweeps.
- SweepExpiredLeases: requeues (or dead-letters) running tasks whose worker stopped renewing the lease.
- SweepOfflineWorkers: marks workers offline after missed heartbeats and releases their tasks.
- SweepDelayedRetries: promotes retry_wait tasks whose back-off (NotBefore) has passed.
- AssignReadyTasks: routes ready tasks to the cheapest eligible worker with free capacity.
Executed by deploy (db/deploy.ts, deployAgentJobs) only where SQL Server Agent exists; elsewhere
node-cron runs the same procedures in process (db/sweeper.ts).
Idempotent: each job is named after its sweep and this database (several MMOS databases may share
one server); when it exists its step and schedule are updated in place instead of adding a second
job, step or schedule. A job or schedule a DBA disabled stays disabled: deploy never touches
@enabled on update. The step runs in the database deploy ran in (DB_NAME() captured now) with no
arguments, so the procedure's defaults apply (@TenantId NULL = all tenants).
Schedule: daily, every 10 seconds all day (freq_subday_type 2 = seconds; Agent's minimum is 10).
Note for DBAs: 8,640 runs a day per job fill msdb job history quickly; the defaults keep 100 rows
per job and 1,000 in all, so raise the limits (sp_set_sqlagent_properties) if other jobs' history matters.
*/
SET NOCOUNT ON;
SET XACT_ABORT ON;

DECLARE @Sweeps TABLE (Ordinal INT NOT NULL PRIMARY KEY, ProcedureName SYSNAME NOT NULL);
INSERT INTO @Sweeps (Ordinal, ProcedureName)
VALUES (1, N'SweepExpiredLeases'), (2, N'SweepOfflineWorkers'), (3, N'SweepDelayedRetries'), (4, N'AssignReadyTasks');

DECLARE @Database     SYSNAME = DB_NAME();
DECLARE @Ordinal      INT = 0;
DECLARE @Procedure    SYSNAME;
DECLARE @JobName      SYSNAME;
DECLARE @Description  NVARCHAR(512);
DECLARE @Command      NVARCHAR(MAX);
DECLARE @Failure      NVARCHAR(400);
DECLARE @JobId        UNIQUEIDENTIFIER;
DECLARE @ScheduleId   INT;
DECLARE @ReturnCode   INT;

WHILE 1 = 1
BEGIN
    SELECT TOP (1) @Ordinal = s.Ordinal, @Procedure = s.ProcedureName
      FROM @Sweeps AS s WHERE s.Ordinal > @Ordinal ORDER BY s.Ordinal;
    IF @@ROWCOUNT = 0 BREAK;

    -- The procedure name comes from the fixed list above; QUOTENAME keeps the command well formed.
    SET @JobName = LEFT(N'mmos ' + @Procedure + N' (' + @Database + N')', 128);
    SET @Description = N'MMOS: runs mmos.' + @Procedure + N' every 10 seconds in database ' + QUOTENAME(@Database) + N'. Managed by mmos deploy (sql/jobs/SweepJobs.sql).';
    SET @Command = N'SET NOCOUNT ON; EXEC mmos.' + QUOTENAME(@Procedure) + N';';
    SET @Failure = N'Agent job setup failed for ' + @JobName + N': ';
    SET @JobId = NULL;
    SET @ScheduleId = NULL;
    SET @ReturnCode = 0;

    BEGIN TRANSACTION;

    SELECT @JobId = j.job_id FROM msdb.dbo.sysjobs AS j WHERE j.name = @JobName;
    IF @JobId IS NULL
        -- Event-log notification off: a failure every 10 seconds would flood the log; job history keeps it.
        EXEC @ReturnCode = msdb.dbo.sp_add_job @job_name = @JobName, @enabled = 1, @description = @Description,
             @notify_level_eventlog = 0, @job_id = @JobId OUTPUT;
    ELSE
        EXEC @ReturnCode = msdb.dbo.sp_update_job @job_id = @JobId, @description = @Description;
    IF @ReturnCode <> 0 BEGIN SET @Failure = @Failure + N'sp_add_job/sp_update_job'; THROW 51000, @Failure, 1; END

    -- One step: add it when missing, else rewrite its command and database in place.
    IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobsteps AS s WHERE s.job_id = @JobId AND s.step_id = 1)
        EXEC @ReturnCode = msdb.dbo.sp_add_jobstep @job_id = @JobId, @step_id = 1, @step_name = @Procedure,
             @subsystem = N'TSQL', @database_name = @Database, @command = @Command,
             @on_success_action = 1, @on_fail_action = 2, @retry_attempts = 0;
    ELSE
        EXEC @ReturnCode = msdb.dbo.sp_update_jobstep @job_id = @JobId, @step_id = 1, @step_name = @Procedure,
             @subsystem = N'TSQL', @database_name = @Database, @command = @Command,
             @on_success_action = 1, @on_fail_action = 2, @retry_attempts = 0;
    IF @ReturnCode <> 0 BEGIN SET @Failure = @Failure + N'sp_add_jobstep/sp_update_jobstep'; THROW 51000, @Failure, 1; END

    -- The schedule attached to this job under the job's name: update it, or create and attach one.
    SELECT @ScheduleId = MIN(sc.schedule_id)
      FROM msdb.dbo.sysjobschedules AS js
      JOIN msdb.dbo.sysschedules AS sc ON sc.schedule_id = js.schedule_id
     WHERE js.job_id = @JobId AND sc.name = @JobName;
    IF @ScheduleId IS NULL
    BEGIN
        EXEC @ReturnCode = msdb.dbo.sp_add_schedule @schedule_name = @JobName, @enabled = 1, @freq_type = 4,
             @freq_interval = 1, @freq_subday_type = 2, @freq_subday_interval = 10,
             @active_start_time = 0, @active_end_time = 235959, @schedule_id = @ScheduleId OUTPUT;
        IF @ReturnCode <> 0 BEGIN SET @Failure = @Failure + N'sp_add_schedule'; THROW 51000, @Failure, 1; END
        EXEC @ReturnCode = msdb.dbo.sp_attach_schedule @job_id = @JobId, @schedule_id = @ScheduleId;
    END
    ELSE
        EXEC @ReturnCode = msdb.dbo.sp_update_schedule @schedule_id = @ScheduleId, @freq_type = 4,
             @freq_interval = 1, @freq_subday_type = 2, @freq_subday_interval = 10,
             @active_start_time = 0, @active_end_time = 235959;
    IF @ReturnCode <> 0 BEGIN SET @Failure = @Failure + N'sp_attach_schedule/sp_update_schedule'; THROW 51000, @Failure, 1; END

    -- Target this server, or Agent never runs the job.
    IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobservers AS js WHERE js.job_id = @JobId)
    BEGIN
        EXEC @ReturnCode = msdb.dbo.sp_add_jobserver @job_id = @JobId, @server_name = N'(local)';
        IF @ReturnCode <> 0 BEGIN SET @Failure = @Failure + N'sp_add_jobserver'; THROW 51000, @Failure, 1; END
    END

    COMMIT TRANSACTION;
END;
GO

/*
@procedure _LockDependents
@summary Lock every transitive dependent of a set of tasks, in TaskId order, before blocking them set by set.
@description Internal helper of SweepExpiredLeases and SweepOfflineWorkers, which dead-letter several
tasks in one transaction, and of RedriveTask, which re-blocks the dependents of several dead tasks.
_BlockDependents locks one dead task's dependents at a time, each set in TaskId order; across two
sets that order breaks (the second may hold lower ids), and a completion unblocking the same
dependents in TaskId order could then wait on the caller while the caller waits on it: a deadlock.
Locking the union of all the sets first, in TaskId order, keeps the one order every writer of
dependents uses. TaskIds is a JSON array of task ids, e.g. [12,40]. Returns the number of
dependents locked.
@internal true
@writes false
@access TaskQueue -> TaskDependencies
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._LockDependents
    @TaskIds  NVARCHAR(MAX)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @Level INT = 0, @Added INT, @Locked INT;
    DECLARE @Dependents TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, Level INT NOT NULL);

    INSERT INTO @Dependents (TaskId, Level)
    SELECT DISTINCT td.TaskId, 0
      FROM OPENJSON(@TaskIds) WITH (TaskId BIGINT '$') AS s
      JOIN mmos.TaskDependencies AS td ON td.DependsOnTaskId = s.TaskId;
    SET @Added = @@ROWCOUNT;
    WHILE @Added > 0
    BEGIN
        INSERT INTO @Dependents (TaskId, Level)
        SELECT DISTINCT td.TaskId, @Level + 1
          FROM @Dependents AS d
          JOIN mmos.TaskDependencies AS td ON td.DependsOnTaskId = d.TaskId
         WHERE d.Level = @Level AND NOT EXISTS (SELECT 1 FROM @Dependents AS x WHERE x.TaskId = td.TaskId);
        SET @Added = @@ROWCOUNT;
        SET @Level = @Level + 1;
    END

    -- Nested loops over @Dependents' primary key seek the rows in TaskId order; UPDLOCK holds each
    -- one to the end of the caller's transaction.
    SELECT @Locked = COUNT(*)
      FROM @Dependents AS d
      JOIN mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK, HOLDLOCK) ON t.TaskId = d.TaskId
    OPTION (LOOP JOIN, FORCE ORDER);
    RETURN @Locked;
END;
GO

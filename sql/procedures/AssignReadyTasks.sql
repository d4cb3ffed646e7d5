/*
@procedure AssignReadyTasks
@summary Give every ready, unassigned task the best worker for it in one pass; say why when no worker can take one.
@description Routing, decided in the database. Takes up to MaxTasks ready tasks of active projects
(one project, or every project of the tenant; TenantId NULL: every tenant, as the scheduled sweep
runs it) that are assigned to nobody, or automatically to a worker that is no longer online or that
a spent budget now excludes, in dequeue order (higher priority, then older). For each, the
candidates are the online workers of its tenant with free capacity (capacity minus running tasks
minus ready tasks already assigned to them, counting the assignments this pass makes), every
capability the task requires and a quality tier at least the one its complexity needs (low 1,
medium 2, high 3); premium workers (tier 3) are left out once the project's recorded cost has
reached its budget. The preferred worker the plan named wins when it is a candidate; otherwise the
cheapest (input plus output price per million tokens), then the least loaded ((running + assigned)
/ capacity), then the best success rate on that task type over the last 30 days (vw_ModelPerformance;
a worker without history counts as 0.5), then the one assigned least recently, so equal choices are
spread, never piled on one worker. A task whose last attempt ended with the lease expiring (or the
worker going offline) is not given back to that worker, which may be gone; an automatic assignment
to it is taken back (the worker may still pull the task when nothing is assigned to it). The task
is assigned (AssignmentSource 'auto') with an 'assigned' event saying why, and the worker's next
claim takes it first. A task no worker can take gets a RoutingNote saying why (no online worker
with its capabilities and tier, budget spent: premium models excluded, only the worker that let its
lease expire, every eligible worker at capacity) and loses an automatic assignment it had.
Manual assignments are never changed; one to a premium worker in a project whose budget is spent
gets a RoutingNote saying so. Returns one row per assignment made.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectId Only this project's tasks (optional; default every active project of the tenant).
@param MaxTasks How many tasks one pass routes at most (1-10000).
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50400 max tasks out of range; 50404 unknown project
*/
CREATE OR ALTER PROCEDURE mmos.AssignReadyTasks
    @TenantId   NVARCHAR(64) = NULL,
    @ProjectId  BIGINT = NULL,
    @MaxTasks   INT = 500
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @MaxTasks IS NULL OR @MaxTasks NOT BETWEEN 1 AND 10000
        THROW 50400, N'max tasks must be between 1 and 10000', 1;

    DECLARE @Message NVARCHAR(400), @Now DATETIME2(3) = SYSUTCDATETIME(), @LockResult INT,
            @Ordinal INT = 0, @Count INT = 0, @Seq INT = 0,
            @TaskId BIGINT, @TaskTenant NVARCHAR(64), @TaskType NVARCHAR(20), @NeededTier INT, @NoPremium BIT,
            @Preferred BIGINT, @PreferredWorkerId NVARCHAR(100), @LostBy BIGINT, @Chosen BIGINT, @Runner BIGINT, @Reason NVARCHAR(400);
    -- String columns take the database's collation, not tempdb's: they are compared with table columns.
    DECLARE @Pool TABLE (
        InstanceId      BIGINT NOT NULL PRIMARY KEY,
        TenantId        NVARCHAR(64) COLLATE DATABASE_DEFAULT NOT NULL,
        WorkerId        NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL,
        ModelName       NVARCHAR(100) COLLATE DATABASE_DEFAULT NULL,
        QualityTier     INT NOT NULL,
        Price           DECIMAL(13,4) NOT NULL,
        Capacity        INT NOT NULL,
        Busy            INT NOT NULL DEFAULT 0,
        LastAssignedAt  DATETIME2(3) NULL,
        PassSeq         INT NULL,
        Online          BIT NOT NULL DEFAULT 1
    );
    DECLARE @Instances TABLE (InstanceId BIGINT NOT NULL PRIMARY KEY, TenantId NVARCHAR(64) COLLATE DATABASE_DEFAULT NOT NULL,
                              WorkerId NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL, QualityTier INT NOT NULL);
    DECLARE @Capabilities TABLE (InstanceId BIGINT NOT NULL, Capability NVARCHAR(50) COLLATE DATABASE_DEFAULT NOT NULL, PRIMARY KEY (InstanceId, Capability));
    DECLARE @Projects TABLE (ProjectId BIGINT NOT NULL PRIMARY KEY, BudgetSpent BIT NOT NULL);
    DECLARE @Rates TABLE (InstanceId BIGINT NOT NULL, TaskType NVARCHAR(20) COLLATE DATABASE_DEFAULT NOT NULL, SuccessRate DECIMAL(5,4) NOT NULL,
                          PRIMARY KEY (InstanceId, TaskType));
    DECLARE @Tasks TABLE (
        Ordinal              INT NOT NULL PRIMARY KEY,
        TaskId               BIGINT NOT NULL UNIQUE,
        TenantId             NVARCHAR(64) COLLATE DATABASE_DEFAULT NOT NULL,
        ProjectId            BIGINT NOT NULL,
        TaskKey              NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL,
        TaskType             NVARCHAR(20) COLLATE DATABASE_DEFAULT NOT NULL,
        NeededTier           INT NOT NULL,
        PreferredInstanceId  BIGINT NULL,
        PreferredWorkerId    NVARCHAR(100) COLLATE DATABASE_DEFAULT NULL,
        LostByInstanceId     BIGINT NULL,
        LostByWorkerId       NVARCHAR(100) COLLATE DATABASE_DEFAULT NULL,
        NoPremium            BIT NOT NULL,
        ChosenInstanceId     BIGINT NULL,
        Reason               NVARCHAR(400) COLLATE DATABASE_DEFAULT NULL,
        Note                 NVARCHAR(400) COLLATE DATABASE_DEFAULT NULL
    );
    DECLARE @Required TABLE (TaskId BIGINT NOT NULL, Capability NVARCHAR(50) COLLATE DATABASE_DEFAULT NOT NULL, PRIMARY KEY (TaskId, Capability));
    DECLARE @Eligible TABLE (InstanceId BIGINT NOT NULL PRIMARY KEY, Price DECIMAL(13,4) NOT NULL, BusyRatio DECIMAL(12,6) NOT NULL,
                             SuccessRate DECIMAL(5,4) NOT NULL, PassSeq INT NULL, LastAssignedAt DATETIME2(3) NULL);
    DECLARE @Assigned TABLE (TaskId BIGINT NOT NULL PRIMARY KEY);
    DECLARE @Noted TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, OldInstanceId BIGINT NULL);

    IF @ProjectId IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM mmos.WorkSessions AS ws WHERE ws.ProjectId = @ProjectId AND (@TenantId IS NULL OR ws.TenantId = @TenantId))
    BEGIN
        SET @Message = CONCAT(N'project ', @ProjectId, N' not found');
        THROW 50404, @Message, 1;
    END

    BEGIN TRANSACTION;
        -- One pass at a time: a pass's choices depend on the loads it reads.
        EXEC @LockResult = sp_getapplock @Resource = N'mmos.AssignReadyTasks', @LockMode = N'Exclusive', @LockOwner = N'Transaction';
        IF @LockResult < 0 THROW 50409, N'another assignment pass did not finish; try again', 1;

        -- 1. The workers, their prices, capabilities and recent success rates: everything read from
        --    ModelInstances (and the view over it) is read before any row is locked, as the table
        --    order puts ModelInstances before WorkerPool (a heartbeat writes both, in that order).
        INSERT INTO @Instances (InstanceId, TenantId, WorkerId, QualityTier)
        SELECT mi.InstanceId, mi.TenantId, mi.WorkerId, mi.QualityTier
          FROM mmos.ModelInstances AS mi
         WHERE @TenantId IS NULL OR mi.TenantId = @TenantId;

        INSERT INTO @Pool (InstanceId, TenantId, WorkerId, ModelName, QualityTier, Price, Capacity, LastAssignedAt)
        SELECT mi.InstanceId, mi.TenantId, mi.WorkerId, mi.ModelName, mi.QualityTier,
               mi.InputUsdPerMillionTokens + mi.OutputUsdPerMillionTokens, wp.WorkerCapacity, wp.LastAssignedAt
          FROM mmos.ModelInstances AS mi
          JOIN mmos.WorkerPool AS wp ON wp.InstanceId = mi.InstanceId
         WHERE wp.Status = N'online' AND (@TenantId IS NULL OR mi.TenantId = @TenantId);

        INSERT INTO @Capabilities (InstanceId, Capability)
        SELECT c.InstanceId, c.Capability
          FROM mmos.ModelInstanceCapabilities AS c
          JOIN @Pool AS p ON p.InstanceId = c.InstanceId;

        -- Success rates (the figures people read in the view) for the task types waiting to be
        -- routed only: an idle pass reads no history.
        IF EXISTS (SELECT 1 FROM mmos.TaskQueue AS t
                    WHERE t.Status = N'ready' AND (@TenantId IS NULL OR t.TenantId = @TenantId) AND (@ProjectId IS NULL OR t.ProjectId = @ProjectId))
            INSERT INTO @Rates (InstanceId, TaskType, SuccessRate)
            SELECT v.InstanceId, v.TaskType, v.SuccessRate
              FROM mmos.vw_ModelPerformance AS v
              JOIN @Pool AS p ON p.InstanceId = v.InstanceId AND p.TenantId = v.TenantId
             WHERE v.SuccessRate IS NOT NULL
               AND v.TaskType IN (SELECT t.TaskType FROM mmos.TaskQueue AS t
                                   WHERE t.Status = N'ready' AND t.TenantId = v.TenantId AND (@ProjectId IS NULL OR t.ProjectId = @ProjectId));

        -- The online workers' pool rows, locked until commit so that no claim changes a load this
        -- pass reads, and read again under the lock: a worker no longer online is left out.
        UPDATE p
           SET Capacity = wp.WorkerCapacity, LastAssignedAt = wp.LastAssignedAt, Online = CASE WHEN wp.Status = N'online' THEN 1 ELSE 0 END
          FROM @Pool AS p
          JOIN mmos.WorkerPool AS wp WITH (UPDLOCK, ROWLOCK) ON wp.InstanceId = p.InstanceId
        OPTION (LOOP JOIN, FORCE ORDER); -- seeks only the pool's rows, in InstanceId order (a scan would lock them all)
        DELETE FROM @Pool WHERE Online = 0;

        -- 2. Active projects, and whether each one's recorded cost has reached its budget.
        INSERT INTO @Projects (ProjectId, BudgetSpent)
        SELECT ws.ProjectId,
               CASE WHEN ws.BudgetUsd IS NOT NULL
                     AND ws.BudgetUsd <= (SELECT ISNULL(SUM(u.CostUsd), 0) FROM mmos.UsageRecords AS u WHERE u.ProjectId = ws.ProjectId)
                    THEN 1 ELSE 0 END
          FROM mmos.WorkSessions AS ws
         WHERE ws.Status = N'active' AND (@TenantId IS NULL OR ws.TenantId = @TenantId);

        -- 3. Each worker's load: its running tasks plus the ready tasks assigned to it, waiting for
        --    its claim (less the automatic ones this pass takes back: premium worker, budget spent).
        UPDATE p
           SET Busy = (SELECT COUNT(*) FROM mmos.TaskQueue AS t WHERE t.ClaimedByInstanceId = p.InstanceId AND t.Status = N'running')
                    + (SELECT COUNT(*) FROM mmos.TaskQueue AS t
                        WHERE t.AssignedInstanceId = p.InstanceId AND t.Status = N'ready'
                          AND NOT (ISNULL(t.AssignmentSource, N'manual') = N'auto' AND p.QualityTier = 3
                                   AND EXISTS (SELECT 1 FROM @Projects AS pr WHERE pr.ProjectId = t.ProjectId AND pr.BudgetSpent = 1)))
          FROM @Pool AS p;

        -- 4. The tasks to route, in dequeue order (an automatic assignment is routed again when its
        --    worker is no longer online, is premium past the budget, or let the task's lease expire). Rows a claim holds are skipped (READPAST); the
        --    others stay locked until commit.
        --    LostBy: the worker whose lease on the task expired in its last attempt (read from the history).
        INSERT INTO @Tasks (Ordinal, TaskId, TenantId, ProjectId, TaskKey, TaskType, NeededTier, PreferredInstanceId, PreferredWorkerId,
                            LostByInstanceId, LostByWorkerId, NoPremium)
        SELECT ROW_NUMBER() OVER (ORDER BY c.Priority DESC, c.TaskId), c.TaskId, c.TenantId, c.ProjectId, c.TaskKey, c.TaskType,
               CASE c.Complexity WHEN N'high' THEN 3 WHEN N'medium' THEN 2 ELSE 1 END,
               c.PreferredInstanceId, c.PreferredWorkerId, c.LostByInstanceId, c.LostByWorkerId, c.BudgetSpent
          FROM (SELECT TOP (@MaxTasks) t.TaskId, t.TenantId, t.ProjectId, t.TaskKey, t.TaskType, t.Priority, t.Complexity,
                       t.PreferredInstanceId, pm.WorkerId AS PreferredWorkerId, lost.LostByInstanceId, lost.LostByWorkerId, pr.BudgetSpent
                  FROM mmos.TaskQueue AS t WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
                  JOIN @Projects AS pr ON pr.ProjectId = t.ProjectId
                  LEFT JOIN @Pool AS aw ON aw.InstanceId = t.AssignedInstanceId
                  LEFT JOIN @Instances AS am ON am.InstanceId = t.AssignedInstanceId
                  LEFT JOIN @Instances AS pm ON pm.InstanceId = t.PreferredInstanceId
                 OUTER APPLY (SELECT TOP (1) le.EventId, le.EventType
                                FROM mmos.TaskEvents AS le
                               WHERE le.TaskId = t.TaskId AND le.FromStatus = N'running'
                               ORDER BY le.EventId DESC) AS lastEnd
                 OUTER APPLY (SELECT TOP (1) lm.InstanceId AS LostByInstanceId, lm.WorkerId AS LostByWorkerId
                                FROM mmos.TaskEvents AS lc
                                JOIN @Instances AS lm ON lm.TenantId = lc.TenantId AND lm.WorkerId = lc.Actor
                               WHERE lastEnd.EventType IN (N'lease_expired', N'worker_offline')
                                 AND lc.TaskId = t.TaskId AND lc.EventType = N'claimed' AND lc.EventId < lastEnd.EventId
                               ORDER BY lc.EventId DESC) AS lost
                 WHERE t.Status = N'ready' AND t.NotBefore <= @Now
                   AND (@TenantId IS NULL OR t.TenantId = @TenantId)
                   AND (@ProjectId IS NULL OR t.ProjectId = @ProjectId)
                   AND (t.AssignedInstanceId IS NULL
                        OR (t.AssignmentSource = N'auto'
                            AND (aw.InstanceId IS NULL OR (am.QualityTier = 3 AND pr.BudgetSpent = 1) OR t.AssignedInstanceId = lost.LostByInstanceId)))
                 ORDER BY t.Priority DESC, t.TaskId) AS c;
        SET @Count = @@ROWCOUNT;

        INSERT INTO @Required (TaskId, Capability)
        SELECT rc.TaskId, rc.Capability
          FROM mmos.TaskRequiredCapabilities AS rc
          JOIN @Tasks AS k ON k.TaskId = rc.TaskId;

        -- 5. One task at a time, in dequeue order. A loop, bounded by MaxTasks and touching only
        --    table variables: each choice depends on the capacity the choices before it used and on
        --    whom they picked (to spread ties), a running state that one set-based statement could
        --    carry only through a recursive query far harder to read and to check. The reads before
        --    it and the writes after it are set-based.
        WHILE @Ordinal < @Count
        BEGIN
            SET @Ordinal = @Ordinal + 1;
            SELECT @TaskId = k.TaskId, @TaskTenant = k.TenantId, @TaskType = k.TaskType, @NeededTier = k.NeededTier,
                   @NoPremium = k.NoPremium, @Preferred = k.PreferredInstanceId, @PreferredWorkerId = k.PreferredWorkerId,
                   @LostBy = k.LostByInstanceId
              FROM @Tasks AS k
             WHERE k.Ordinal = @Ordinal;

            DELETE FROM @Eligible;
            INSERT INTO @Eligible (InstanceId, Price, BusyRatio, SuccessRate, PassSeq, LastAssignedAt)
            SELECT p.InstanceId, p.Price, CAST(CAST(p.Busy AS DECIMAL(12,6)) / p.Capacity AS DECIMAL(12,6)),
                   ISNULL(r.SuccessRate, 0.5), p.PassSeq, p.LastAssignedAt
              FROM @Pool AS p
              LEFT JOIN @Rates AS r ON r.InstanceId = p.InstanceId AND r.TaskType = @TaskType
             WHERE p.TenantId = @TaskTenant AND p.Busy < p.Capacity AND p.QualityTier >= @NeededTier
               AND (@NoPremium = 0 OR p.QualityTier < 3)
               AND (@LostBy IS NULL OR p.InstanceId <> @LostBy)
               AND NOT EXISTS (SELECT 1 FROM @Required AS rq
                                WHERE rq.TaskId = @TaskId
                                  AND NOT EXISTS (SELECT 1 FROM @Capabilities AS c WHERE c.InstanceId = p.InstanceId AND c.Capability = rq.Capability));

            SET @Chosen = NULL;
            SET @Runner = NULL;
            SET @Reason = NULL;
            IF @Preferred IS NOT NULL AND EXISTS (SELECT 1 FROM @Eligible AS e WHERE e.InstanceId = @Preferred)
            BEGIN
                SET @Chosen = @Preferred;
                SET @Reason = N'preferred worker';
            END
            ELSE
            BEGIN
                SELECT TOP (1) @Chosen = e.InstanceId
                  FROM @Eligible AS e
                 ORDER BY e.Price, e.BusyRatio, e.SuccessRate DESC, CASE WHEN e.PassSeq IS NULL THEN 0 ELSE 1 END, e.PassSeq,
                          e.LastAssignedAt, e.InstanceId;
                SELECT TOP (1) @Runner = e.InstanceId
                  FROM @Eligible AS e
                 WHERE e.InstanceId <> @Chosen
                 ORDER BY e.Price, e.BusyRatio, e.SuccessRate DESC, CASE WHEN e.PassSeq IS NULL THEN 0 ELSE 1 END, e.PassSeq,
                          e.LastAssignedAt, e.InstanceId;
                -- The reason names the first rule that told the winner from the runner-up.
                SELECT @Reason = CASE WHEN r.InstanceId IS NULL THEN N'only eligible worker'
                                      WHEN w.Price < r.Price THEN N'cheapest eligible'
                                      WHEN w.BusyRatio < r.BusyRatio THEN N'least loaded of the cheapest'
                                      WHEN w.SuccessRate > r.SuccessRate THEN N'best recent success rate of the cheapest and least loaded'
                                      ELSE N'equal choice: assigned least recently' END
                  FROM @Eligible AS w
                  LEFT JOIN @Eligible AS r ON r.InstanceId = @Runner
                 WHERE w.InstanceId = @Chosen;
                IF @Preferred IS NOT NULL
                    SET @Reason = CONCAT(@Reason, N' (preferred worker ', @PreferredWorkerId, N' is not eligible)');
            END

            IF @Chosen IS NOT NULL
            BEGIN
                SET @Seq = @Seq + 1;
                UPDATE @Pool SET Busy = Busy + 1, PassSeq = @Seq WHERE InstanceId = @Chosen;
                UPDATE @Tasks SET ChosenInstanceId = @Chosen, Reason = @Reason WHERE Ordinal = @Ordinal;
            END
        END

        -- 6. Why the others wait, judged against every online worker of the tenant, busy or not.
        UPDATE k
           SET Note = CASE
                   WHEN NOT EXISTS (SELECT 1 FROM @Pool AS p WHERE p.TenantId = k.TenantId) THEN N'no worker is online'
                   WHEN NOT EXISTS (SELECT 1 FROM @Pool AS p
                                     WHERE p.TenantId = k.TenantId AND p.QualityTier >= k.NeededTier
                                       AND NOT EXISTS (SELECT 1 FROM @Required AS rq
                                                        WHERE rq.TaskId = k.TaskId
                                                          AND NOT EXISTS (SELECT 1 FROM @Capabilities AS c
                                                                           WHERE c.InstanceId = p.InstanceId AND c.Capability = rq.Capability)))
                       THEN LEFT(CONCAT(N'no online worker has ',
                                        (SELECT N'capabilities ' + STRING_AGG(CAST(rq.Capability AS NVARCHAR(MAX)), N',') WITHIN GROUP (ORDER BY rq.Capability) + N' and '
                                           FROM @Required AS rq WHERE rq.TaskId = k.TaskId),
                                        N'tier >= ', k.NeededTier), 400)
                   WHEN k.NoPremium = 1
                    AND NOT EXISTS (SELECT 1 FROM @Pool AS p
                                     WHERE p.TenantId = k.TenantId AND p.QualityTier >= k.NeededTier AND p.QualityTier < 3
                                       AND NOT EXISTS (SELECT 1 FROM @Required AS rq
                                                        WHERE rq.TaskId = k.TaskId
                                                          AND NOT EXISTS (SELECT 1 FROM @Capabilities AS c
                                                                           WHERE c.InstanceId = p.InstanceId AND c.Capability = rq.Capability)))
                       THEN N'budget spent: premium models excluded'
                   WHEN k.LostByInstanceId IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM @Pool AS p
                                     WHERE p.TenantId = k.TenantId AND p.InstanceId <> k.LostByInstanceId AND p.QualityTier >= k.NeededTier
                                       AND (k.NoPremium = 0 OR p.QualityTier < 3)
                                       AND NOT EXISTS (SELECT 1 FROM @Required AS rq
                                                        WHERE rq.TaskId = k.TaskId
                                                          AND NOT EXISTS (SELECT 1 FROM @Capabilities AS c
                                                                           WHERE c.InstanceId = p.InstanceId AND c.Capability = rq.Capability)))
                       THEN LEFT(CONCAT(N'the lease of ', k.LostByWorkerId, N' on this task expired and no other online worker can take it'), 400)
                   ELSE N'every eligible worker is at capacity' END
          FROM @Tasks AS k
         WHERE k.ChosenInstanceId IS NULL;

        -- 7. The writes, set-based, in the global table order: WorkerPool, TaskQueue, TaskEvents.
        --    LastAssignedAt keeps the order of this pass's choices (the last one gets the pass's time).
        UPDATE wp
           SET LastAssignedAt = DATEADD(MILLISECOND, p.PassSeq - @Seq, @Now)
          FROM mmos.WorkerPool AS wp
          JOIN @Pool AS p ON p.InstanceId = wp.InstanceId
         WHERE p.PassSeq IS NOT NULL;

        UPDATE t
           SET AssignedInstanceId = k.ChosenInstanceId, AssignmentSource = N'auto', RoutingNote = NULL, UpdatedAt = @Now
        OUTPUT inserted.TaskId INTO @Assigned (TaskId)
          FROM @Tasks AS k
          JOIN mmos.TaskQueue AS t ON t.TaskId = k.TaskId
         WHERE k.ChosenInstanceId IS NOT NULL AND t.Status = N'ready';

        -- Only tasks assigned to nobody or automatically were taken in step 4, so clearing is safe.
        UPDATE t
           SET RoutingNote = k.Note, AssignedInstanceId = NULL, AssignmentSource = NULL
        OUTPUT inserted.TaskId, deleted.AssignedInstanceId INTO @Noted (TaskId, OldInstanceId)
          FROM @Tasks AS k
          JOIN mmos.TaskQueue AS t ON t.TaskId = k.TaskId
         WHERE k.ChosenInstanceId IS NULL AND t.Status = N'ready'
           AND (ISNULL(t.RoutingNote, N'') <> k.Note OR t.AssignedInstanceId IS NOT NULL);

        -- A note only: rows another transaction holds are left for the next pass (READPAST).
        UPDATE t
           SET RoutingNote = N'budget spent: premium models excluded, and the worker this task is assigned to is premium'
          FROM mmos.TaskQueue AS t WITH (UPDLOCK, READPAST, ROWLOCK)
          JOIN @Projects AS pr ON pr.ProjectId = t.ProjectId AND pr.BudgetSpent = 1
          JOIN @Instances AS am ON am.InstanceId = t.AssignedInstanceId AND am.QualityTier = 3
         WHERE t.Status = N'ready' AND ISNULL(t.AssignmentSource, N'manual') = N'manual'
           AND (@ProjectId IS NULL OR t.ProjectId = @ProjectId)
           AND ISNULL(t.RoutingNote, N'') <> N'budget spent: premium models excluded, and the worker this task is assigned to is premium';

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT k.TenantId, k.TaskId, k.ProjectId, N'assigned', N'ready', N'ready', N'router',
               LEFT(CONCAT(N'assigned to ', p.WorkerId, N': ', k.Reason), 4000)
          FROM @Tasks AS k
          JOIN @Assigned AS a ON a.TaskId = k.TaskId
          JOIN @Pool AS p ON p.InstanceId = k.ChosenInstanceId
         ORDER BY k.Ordinal;

        INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
        SELECT k.TenantId, k.TaskId, k.ProjectId, N'unassigned', N'ready', N'ready', N'router',
               LEFT(CONCAT(N'automatic assignment withdrawn: ', k.Note), 4000)
          FROM @Tasks AS k
          JOIN @Noted AS n ON n.TaskId = k.TaskId
         WHERE n.OldInstanceId IS NOT NULL
         ORDER BY k.Ordinal;
    COMMIT TRANSACTION;

    SELECT k.TaskId AS TaskId,
           k.TaskKey AS TaskKey,
           p.WorkerId AS WorkerId,
           p.ModelName AS ModelName,
           k.Reason AS Reason
      FROM @Tasks AS k
      JOIN @Assigned AS a ON a.TaskId = k.TaskId
      JOIN @Pool AS p ON p.InstanceId = k.ChosenInstanceId
     ORDER BY k.Ordinal;
END;
GO

/*
@procedure AddTasks
@summary Add a whole plan of tasks, with their dependencies, to a project in one atomic call.
@description Tasks is a JSON array of 1 to 500 task objects: key (required, 1-100 characters,
unique in the project), title (required, 1-200), description (up to 20000), type (general,
research, planning, coding, review, testing, docs or admin; default general), phase (up to 100),
priority (whole number, higher runs first; default 0), capabilities (names a worker must have),
dependsOn (keys from this plan or of tasks already in the project), notBefore (ISO 8601 time with
an offset), maxAttempts (1-100, default 3), complexity (low, medium or high; when absent it is
estimated from the type and the description, see _EstimateComplexity), requiresReview (default
false), preferredWorker (the id of a registered worker: automatic assignment gives the task to it
whenever it is eligible). Keys compare case-insensitively. Either the whole plan is added or nothing is:
a malformed task, a duplicate or unknown key, a self-dependency or a dependency cycle refuses the
plan. A task whose dependencies are all done starts 'ready'; the others start 'blocked' with
UnmetDependencies counting the dependencies not yet done. With an IdempotencyKey, a repeated call
for the same project adds nothing and returns the first call's tasks with Replayed = true.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectId The project the tasks belong to.
@param Tasks JSON array of task objects (see the description), e.g. [{"key":"design","title":"Design the API"},{"key":"build","title":"Build it","dependsOn":["design"]}].
@param IdempotencyKey Optional key (1-100 characters) that makes a retried submission return the first one's tasks instead of adding them twice.
@access ModelInstances -> WorkSessions -> PlanSubmissions -> TaskQueue -> TaskDependencies -> TaskRequiredCapabilities -> TaskEvents
@throws 50400 malformed plan, missing or oversized field, unknown type or complexity, unknown preferred worker, duplicate key, key already in the project, unknown dependency key, self-dependency, dependency cycle; 50404 unknown project; 50409 project not active, dependency on a cancelled task
*/
CREATE OR ALTER PROCEDURE mmos.AddTasks
    @TenantId        NVARCHAR(64),
    @CallerId        NVARCHAR(100),
    @ProjectId       BIGINT,
    @Tasks           NVARCHAR(MAX),
    @IdempotencyKey  NVARCHAR(100) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Count INT, @Rows INT, @Message NVARCHAR(2048), @ProjectStatus NVARCHAR(20), @SubmissionId BIGINT, @Replayed BIT = 0;
    -- Keys compare case-insensitively: plain equality under the database's default (CI) collation,
    -- lower() in the twin. Table variables take COLLATE DATABASE_DEFAULT, not tempdb's collation.
    DECLARE @Plan TABLE (
        Ordinal             INT NOT NULL PRIMARY KEY,
        TaskKey             NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, KeyType INT NULL,
        Title               NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, TitleType INT NULL,
        Description         NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, DescriptionType INT NULL,
        TaskType            NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, TypeType INT NULL,
        Phase               NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, PhaseType INT NULL,
        Priority            NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, PriorityType INT NULL,
        Capabilities        NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, CapabilitiesType INT NULL,
        DependsOn           NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, DependsOnType INT NULL,
        NotBefore           NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, NotBeforeType INT NULL, NotBeforeValue DATETIME2(3) NULL,
        MaxAttempts         NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, MaxAttemptsType INT NULL,
        Complexity          NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, ComplexityType INT NULL,
        RequiresReview      NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, RequiresReviewType INT NULL,
        PreferredWorker     NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NULL, PreferredWorkerType INT NULL, PreferredInstanceId BIGINT NULL,
        Remaining           BIT NOT NULL DEFAULT 1,
        Unmet               INT NULL,
        BlockedReason       NVARCHAR(400) COLLATE DATABASE_DEFAULT NULL,
        NewTaskId           BIGINT NULL
    );
    DECLARE @Deps TABLE (
        Ordinal             INT NOT NULL,
        Position            INT NOT NULL,
        DependsOnKey        NVARCHAR(MAX) COLLATE DATABASE_DEFAULT NOT NULL,
        DependsOnOrdinal    INT NULL,
        DependsOnTaskId     BIGINT NULL,
        DependsOnTaskKey    NVARCHAR(100) COLLATE DATABASE_DEFAULT NULL,
        DependsOnStatus     NVARCHAR(20) COLLATE DATABASE_DEFAULT NULL,
        PRIMARY KEY (Ordinal, Position)
    );
    DECLARE @Created TABLE (TaskId BIGINT NOT NULL PRIMARY KEY, TaskKey NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL);
    DECLARE @Existing TABLE (TaskId BIGINT NOT NULL PRIMARY KEY);
    DECLARE @FirstTaskId BIGINT;

    EXEC mmos._CheckText N'caller id', @CallerId, 100, 1;
    IF @IdempotencyKey IS NOT NULL EXEC mmos._CheckText N'idempotency key', @IdempotencyKey, 100, 1;
    IF @ProjectId IS NULL THROW 50400, N'project id is empty', 1;
    -- Stored lower case in both twins, so a retried key matches whatever the collation.
    SET @IdempotencyKey = LOWER(@IdempotencyKey);

    -- 1. The document: an array of 1 to 500 objects with known fields only.
    IF @Tasks IS NULL OR ISJSON(@Tasks) = 0
       OR LEFT(LTRIM(REPLACE(REPLACE(REPLACE(LEFT(@Tasks, 4000), NCHAR(9), N' '), NCHAR(10), N' '), NCHAR(13), N' ')), 1) <> N'['
        THROW 50400, N'tasks must be a JSON array of task objects', 1;
    SELECT @Count = COUNT(*) FROM OPENJSON(@Tasks);
    IF @Count = 0 THROW 50400, N'tasks is empty: a plan needs at least one task', 1;
    IF @Count > 500
    BEGIN
        SET @Message = CONCAT(N'a plan holds at most 500 tasks (', @Count, N' given)');
        THROW 50400, @Message, 1;
    END
    SELECT TOP (1) @Message = CONCAT(N'task ', CAST(t.[key] AS INT) + 1, N' is not a JSON object')
      FROM OPENJSON(@Tasks) AS t
     WHERE t.type <> 5
     ORDER BY CAST(t.[key] AS INT);
    IF @Message IS NOT NULL THROW 50400, @Message, 1;
    -- A misspelt field (depends_on) would otherwise be dropped silently. JSON names are case-sensitive.
    SELECT TOP (1) @Message = CONCAT(N'task ', CAST(t.[key] AS INT) + 1, N' has an unknown field "', LEFT(f.[key], 50),
                                     N'" (known: key, title, description, type, phase, priority, capabilities, dependsOn, notBefore, maxAttempts, complexity, requiresReview, preferredWorker)')
      FROM OPENJSON(@Tasks) AS t
     CROSS APPLY OPENJSON(t.value) AS f
     WHERE f.[key] COLLATE Latin1_General_BIN2 NOT IN (N'key', N'title', N'description', N'type', N'phase', N'priority', N'capabilities',
                                                      N'dependsOn', N'notBefore', N'maxAttempts', N'complexity', N'requiresReview', N'preferredWorker')
     ORDER BY CAST(t.[key] AS INT), f.[key] COLLATE Latin1_General_BIN2;
    IF @Message IS NOT NULL THROW 50400, @Message, 1;

    -- The plan as rows: each field's value and its JSON type (0 null, 1 string, 2 number, 3 boolean,
    -- 4 array, 5 object; NULL when absent). notBefore: the shape is checked by pattern, the calendar
    -- by the conversion (NULL when it fails).
    INSERT INTO @Plan (Ordinal, TaskKey, KeyType, Title, TitleType, Description, DescriptionType, TaskType, TypeType, Phase, PhaseType,
                       Priority, PriorityType, Capabilities, CapabilitiesType, DependsOn, DependsOnType, NotBefore, NotBeforeType, NotBeforeValue,
                       MaxAttempts, MaxAttemptsType, Complexity, ComplexityType, RequiresReview, RequiresReviewType, PreferredWorker, PreferredWorkerType)
    SELECT CAST(t.[key] AS INT) + 1,
           v.TaskKey, ty.KeyType, v.Title, ty.TitleType, v.Description, ty.DescriptionType, v.TaskType, ty.TypeType, v.Phase, ty.PhaseType,
           v.Priority, ty.PriorityType,
           CASE WHEN ty.CapabilitiesType = 4 THEN v.Capabilities END, ty.CapabilitiesType,
           CASE WHEN ty.DependsOnType = 4 THEN v.DependsOn END, ty.DependsOnType,
           v.NotBefore, ty.NotBeforeType,
           CASE WHEN ty.NotBeforeType = 1
                 AND v.NotBefore COLLATE Latin1_General_BIN2 LIKE N'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]%'
                 AND (v.NotBefore COLLATE Latin1_General_BIN2 LIKE N'%Z' OR v.NotBefore COLLATE Latin1_General_BIN2 LIKE N'%[+-][0-9][0-9]:[0-9][0-9]')
                THEN CONVERT(DATETIME2(3), SWITCHOFFSET(TRY_CONVERT(DATETIMEOFFSET(3), v.NotBefore), N'+00:00')) END,
           v.MaxAttempts, ty.MaxAttemptsType, v.Complexity, ty.ComplexityType, v.RequiresReview, ty.RequiresReviewType,
           v.PreferredWorker, ty.PreferredWorkerType
      FROM OPENJSON(@Tasks) AS t
     CROSS APPLY OPENJSON(t.value) WITH (
            TaskKey         NVARCHAR(MAX) N'$.key',
            Title           NVARCHAR(MAX) N'$.title',
            Description     NVARCHAR(MAX) N'$.description',
            TaskType        NVARCHAR(MAX) N'$.type',
            Phase           NVARCHAR(MAX) N'$.phase',
            Priority        NVARCHAR(MAX) N'$.priority',
            Capabilities    NVARCHAR(MAX) N'$.capabilities' AS JSON,
            DependsOn       NVARCHAR(MAX) N'$.dependsOn' AS JSON,
            NotBefore       NVARCHAR(MAX) N'$.notBefore',
            MaxAttempts     NVARCHAR(MAX) N'$.maxAttempts',
            Complexity      NVARCHAR(MAX) N'$.complexity',
            RequiresReview  NVARCHAR(MAX) N'$.requiresReview',
            PreferredWorker NVARCHAR(MAX) N'$.preferredWorker'
         ) AS v
     CROSS APPLY (SELECT MAX(CASE WHEN f.[key] = N'key' THEN f.type END) AS KeyType,
                         MAX(CASE WHEN f.[key] = N'title' THEN f.type END) AS TitleType,
                         MAX(CASE WHEN f.[key] = N'description' THEN f.type END) AS DescriptionType,
                         MAX(CASE WHEN f.[key] = N'type' THEN f.type END) AS TypeType,
                         MAX(CASE WHEN f.[key] = N'phase' THEN f.type END) AS PhaseType,
                         MAX(CASE WHEN f.[key] = N'priority' THEN f.type END) AS PriorityType,
                         MAX(CASE WHEN f.[key] = N'capabilities' THEN f.type END) AS CapabilitiesType,
                         MAX(CASE WHEN f.[key] = N'dependsOn' THEN f.type END) AS DependsOnType,
                         MAX(CASE WHEN f.[key] = N'notBefore' THEN f.type END) AS NotBeforeType,
                         MAX(CASE WHEN f.[key] = N'maxAttempts' THEN f.type END) AS MaxAttemptsType,
                         MAX(CASE WHEN f.[key] = N'complexity' THEN f.type END) AS ComplexityType,
                         MAX(CASE WHEN f.[key] = N'requiresReview' THEN f.type END) AS RequiresReviewType,
                         MAX(CASE WHEN f.[key] = N'preferredWorker' THEN f.type END) AS PreferredWorkerType
                    FROM OPENJSON(t.value) AS f) AS ty;

    -- 2. Each task's fields: the first failing rule of the first failing task names the problem.
    SELECT TOP (1) @Message = c.Message
      FROM @Plan AS p
     CROSS APPLY (VALUES
        (1, CASE WHEN ISNULL(p.KeyType, 0) = 0 OR (p.KeyType = 1 AND LEN(p.TaskKey) = 0) THEN CONCAT(N'task ', p.Ordinal, N' key is empty')
                 WHEN p.KeyType <> 1 THEN CONCAT(N'task ', p.Ordinal, N' key must be a string')
                 WHEN LEN(p.TaskKey) > 100 THEN CONCAT(N'task ', p.Ordinal, N' key is longer than 100 characters (', LEN(p.TaskKey), N' given)')
                 WHEN DATALENGTH(p.TaskKey) <> DATALENGTH(LTRIM(RTRIM(p.TaskKey))) THEN CONCAT(N'task ', p.Ordinal, N' key must not begin or end with a space') END),
        (2, CASE WHEN ISNULL(p.TitleType, 0) = 0 OR (p.TitleType = 1 AND LEN(p.Title) = 0) THEN CONCAT(N'task ', p.Ordinal, N' title is empty')
                 WHEN p.TitleType <> 1 THEN CONCAT(N'task ', p.Ordinal, N' title must be a string')
                 WHEN LEN(p.Title) > 200 THEN CONCAT(N'task ', p.Ordinal, N' title is longer than 200 characters (', LEN(p.Title), N' given)') END),
        (3, CASE WHEN ISNULL(p.DescriptionType, 0) NOT IN (0, 1) THEN CONCAT(N'task ', p.Ordinal, N' description must be a string')
                 WHEN LEN(p.Description) > 20000 THEN CONCAT(N'task ', p.Ordinal, N' description is longer than 20000 characters (', LEN(p.Description), N' given)') END),
        (4, CASE WHEN ISNULL(p.TypeType, 0) NOT IN (0, 1) THEN CONCAT(N'task ', p.Ordinal, N' type must be a string')
                 WHEN p.TypeType = 1 AND LOWER(p.TaskType) NOT IN (N'general', N'research', N'planning', N'coding', N'review', N'testing', N'docs', N'admin')
                     THEN CONCAT(N'task ', p.Ordinal, N' type "', LEFT(p.TaskType, 50), N'" is not one of general, research, planning, coding, review, testing, docs, admin') END),
        (5, CASE WHEN ISNULL(p.PhaseType, 0) NOT IN (0, 1) THEN CONCAT(N'task ', p.Ordinal, N' phase must be a string')
                 WHEN LEN(p.Phase) > 100 THEN CONCAT(N'task ', p.Ordinal, N' phase is longer than 100 characters (', LEN(p.Phase), N' given)') END),
        (6, CASE WHEN ISNULL(p.PriorityType, 0) = 0 THEN NULL
                 WHEN p.PriorityType <> 2 OR p.Priority LIKE N'%[^0-9-]%' OR TRY_CAST(p.Priority AS INT) IS NULL
                     THEN CONCAT(N'task ', p.Ordinal, N' priority must be a whole number') END),
        (7, CASE WHEN ISNULL(p.CapabilitiesType, 0) NOT IN (0, 4) THEN CONCAT(N'task ', p.Ordinal, N' capabilities must be an array of capability names') END),
        (8, CASE WHEN ISNULL(p.DependsOnType, 0) NOT IN (0, 4) THEN CONCAT(N'task ', p.Ordinal, N' dependsOn must be an array of task keys') END),
        (9, CASE WHEN ISNULL(p.NotBeforeType, 0) = 0 THEN NULL
                 WHEN p.NotBeforeValue IS NULL THEN CONCAT(N'task ', p.Ordinal, N' notBefore must be an ISO 8601 time with an offset, e.g. 2026-01-31T09:00:00Z') END),
        (10, CASE WHEN ISNULL(p.MaxAttemptsType, 0) = 0 THEN NULL
                  WHEN p.MaxAttemptsType <> 2 OR p.MaxAttempts LIKE N'%[^0-9-]%' OR TRY_CAST(p.MaxAttempts AS INT) IS NULL
                       OR TRY_CAST(p.MaxAttempts AS INT) NOT BETWEEN 1 AND 100
                      THEN CONCAT(N'task ', p.Ordinal, N' maxAttempts must be a whole number from 1 to 100') END),
        (11, CASE WHEN ISNULL(p.ComplexityType, 0) NOT IN (0, 1) THEN CONCAT(N'task ', p.Ordinal, N' complexity must be a string')
                  WHEN p.ComplexityType = 1 AND LOWER(p.Complexity) NOT IN (N'low', N'medium', N'high')
                      THEN CONCAT(N'task ', p.Ordinal, N' complexity "', LEFT(p.Complexity, 50), N'" is not one of low, medium, high') END),
        (12, CASE WHEN ISNULL(p.RequiresReviewType, 0) NOT IN (0, 3) THEN CONCAT(N'task ', p.Ordinal, N' requiresReview must be true or false') END),
        (13, CASE WHEN EXISTS (SELECT 1 FROM OPENJSON(p.Capabilities) AS e WHERE e.type <> 1 OR LEN(e.value) NOT BETWEEN 1 AND 50)
                      THEN CONCAT(N'task ', p.Ordinal, N' capabilities must be names of 1 to 50 characters') END),
        (14, CASE WHEN EXISTS (SELECT 1 FROM OPENJSON(p.DependsOn) AS e WHERE e.type <> 1 OR LEN(e.value) NOT BETWEEN 1 AND 100)
                      THEN CONCAT(N'task ', p.Ordinal, N' dependsOn must list task keys of 1 to 100 characters') END),
        (15, CASE WHEN ISNULL(p.PreferredWorkerType, 0) NOT IN (0, 1) OR (p.PreferredWorkerType = 1 AND LEN(p.PreferredWorker) NOT BETWEEN 1 AND 100)
                      THEN CONCAT(N'task ', p.Ordinal, N' preferredWorker must be a worker id of 1 to 100 characters') END)
     ) AS c (RuleNumber, Message)
     WHERE c.Message IS NOT NULL
     ORDER BY p.Ordinal, c.RuleNumber;
    IF @Message IS NOT NULL THROW 50400, @Message, 1;

    -- 3. Across tasks: duplicate keys, self-dependencies, cycles.
    SELECT TOP (1) @Message = CONCAT(N'task ', b.Ordinal, N' key "', b.TaskKey, N'" is already used by task ', a.Ordinal)
      FROM @Plan AS a
      JOIN @Plan AS b ON b.TaskKey = a.TaskKey AND b.Ordinal > a.Ordinal
     ORDER BY b.Ordinal, a.Ordinal;
    IF @Message IS NOT NULL THROW 50400, @Message, 1;

    INSERT INTO @Deps (Ordinal, Position, DependsOnKey, DependsOnOrdinal)
    SELECT p.Ordinal, CAST(e.[key] AS INT) + 1, e.value, x.Ordinal
      FROM @Plan AS p
     CROSS APPLY OPENJSON(p.DependsOn) AS e
      LEFT JOIN @Plan AS x ON x.TaskKey = e.value;

    SELECT TOP (1) @Message = CONCAT(N'task ', p.Ordinal, N' ("', p.TaskKey, N'") depends on itself')
      FROM @Deps AS d
      JOIN @Plan AS p ON p.Ordinal = d.Ordinal
     WHERE d.DependsOnOrdinal = d.Ordinal
     ORDER BY d.Ordinal, d.Position;
    IF @Message IS NOT NULL THROW 50400, @Message, 1;

    -- Kahn's algorithm, set-based: each pass removes every task none of whose in-plan dependencies
    -- remain. Tasks still remaining when a pass removes nothing lie on or behind a cycle.
    WHILE 1 = 1
    BEGIN
        UPDATE p SET Remaining = 0
          FROM @Plan AS p
         WHERE p.Remaining = 1
           AND NOT EXISTS (SELECT 1 FROM @Deps AS d
                             JOIN @Plan AS x ON x.Ordinal = d.DependsOnOrdinal
                            WHERE d.Ordinal = p.Ordinal AND x.Remaining = 1);
        IF @@ROWCOUNT = 0 BREAK;
    END
    IF EXISTS (SELECT 1 FROM @Plan AS p WHERE p.Remaining = 1)
    BEGIN
        -- The same removal backwards drops the tasks that merely wait behind a cycle, so the
        -- message names the tasks on the cycle (and any between two cycles).
        WHILE 1 = 1
        BEGIN
            UPDATE p SET Remaining = 0
              FROM @Plan AS p
             WHERE p.Remaining = 1
               AND NOT EXISTS (SELECT 1 FROM @Deps AS d
                                 JOIN @Plan AS x ON x.Ordinal = d.Ordinal
                                WHERE d.DependsOnOrdinal = p.Ordinal AND x.Remaining = 1);
            IF @@ROWCOUNT = 0 BREAK;
        END
        SELECT @Rows = COUNT(*) FROM @Plan AS p WHERE p.Remaining = 1;
        SELECT @Message = CONCAT(N'the plan has a dependency cycle among ', @Rows, N' tasks: ',
                                 STRING_AGG(CONCAT(N'"', k.TaskKey, N'"'), N', ') WITHIN GROUP (ORDER BY k.Ordinal),
                                 CASE WHEN @Rows > 10 THEN N', ...' ELSE N'' END)
          FROM (SELECT TOP (10) p.Ordinal, p.TaskKey FROM @Plan AS p WHERE p.Remaining = 1 ORDER BY p.Ordinal) AS k;
        THROW 50400, @Message, 1;
    END

    -- A preferred worker must be registered in the tenant (read before the transaction: ModelInstances
    -- comes first in the table order, and a worker is never deleted).
    UPDATE p SET PreferredInstanceId = mi.InstanceId
      FROM @Plan AS p
      JOIN mmos.ModelInstances AS mi ON mi.TenantId = @TenantId AND mi.WorkerId = p.PreferredWorker
     WHERE p.PreferredWorkerType = 1;
    SELECT TOP (1) @Message = CONCAT(N'task ', p.Ordinal, N' preferredWorker "', p.PreferredWorker, N'" is not a registered worker')
      FROM @Plan AS p
     WHERE p.PreferredWorkerType = 1 AND p.PreferredInstanceId IS NULL
     ORDER BY p.Ordinal;
    IF @Message IS NOT NULL THROW 50400, @Message, 1;

    BEGIN TRANSACTION;
        -- 4. The project, locked so that plans submitted to it at the same time run one after the
        --    other (the key checks below then see every earlier plan).
        SELECT @ProjectStatus = ws.Status
          FROM mmos.WorkSessions AS ws WITH (UPDLOCK, HOLDLOCK)
         WHERE ws.ProjectId = @ProjectId AND ws.TenantId = @TenantId;
        IF @ProjectStatus IS NULL
        BEGIN
            SET @Message = CONCAT(N'project ', @ProjectId, N' not found');
            THROW 50404, @Message, 1;
        END

        IF @IdempotencyKey IS NOT NULL
        BEGIN
            -- UPDLOCK + HOLDLOCK: a racing submission of the same key waits here, then finds ours.
            SELECT @SubmissionId = ps.SubmissionId
              FROM mmos.PlanSubmissions AS ps WITH (UPDLOCK, HOLDLOCK)
             WHERE ps.TenantId = @TenantId AND ps.ProjectId = @ProjectId AND ps.IdempotencyKey = @IdempotencyKey;
            IF @SubmissionId IS NOT NULL
                SET @Replayed = 1;
            ELSE
            BEGIN
                INSERT INTO mmos.PlanSubmissions (TenantId, ProjectId, IdempotencyKey, SubmittedBy)
                VALUES (@TenantId, @ProjectId, @IdempotencyKey, @CallerId);
                SET @SubmissionId = CAST(SCOPE_IDENTITY() AS BIGINT);
            END
        END

        IF @Replayed = 1
        BEGIN
            INSERT INTO @Created (TaskId, TaskKey)
            SELECT t.TaskId, t.TaskKey FROM mmos.TaskQueue AS t WHERE t.ProjectId = @ProjectId AND t.SubmissionId = @SubmissionId;
        END
        ELSE
        BEGIN
            IF @ProjectStatus <> N'active'
            BEGIN
                SET @Message = CONCAT(N'project ', @ProjectId, N' is ', @ProjectStatus, N', not active');
                THROW 50409, @Message, 1;
            END

            SELECT TOP (1) @Message = CONCAT(N'task ', p.Ordinal, N' key "', p.TaskKey, N'" is already used in project ', @ProjectId)
              FROM @Plan AS p
             WHERE EXISTS (SELECT 1 FROM mmos.TaskQueue AS t WHERE t.ProjectId = @ProjectId AND t.TaskKey = p.TaskKey)
             ORDER BY p.Ordinal;
            IF @Message IS NOT NULL THROW 50400, @Message, 1;

            -- Dependencies on tasks already in the project: find them (a task never changes project
            -- or key), then lock them in TaskId order, the order every writer of TaskQueue keeps, and
            -- read their status under the lock. UPDLOCK holds each until commit, so it cannot complete
            -- between our reading its status and our dependency rows becoming visible to the
            -- completion that would count them off.
            UPDATE d
               SET DependsOnTaskId = t.TaskId, DependsOnTaskKey = t.TaskKey
              FROM @Deps AS d
              JOIN mmos.TaskQueue AS t ON t.ProjectId = @ProjectId AND t.TaskKey = d.DependsOnKey
             WHERE d.DependsOnOrdinal IS NULL;
            INSERT INTO @Existing (TaskId)
            SELECT DISTINCT d.DependsOnTaskId FROM @Deps AS d WHERE d.DependsOnTaskId IS NOT NULL;
            UPDATE d
               SET DependsOnStatus = t.Status
              FROM @Existing AS e
              JOIN mmos.TaskQueue AS t WITH (UPDLOCK, ROWLOCK, HOLDLOCK) ON t.TaskId = e.TaskId
              JOIN @Deps AS d ON d.DependsOnTaskId = e.TaskId
            OPTION (LOOP JOIN, FORCE ORDER);

            SELECT TOP (1) @Message = CONCAT(N'task ', p.Ordinal, N' ("', p.TaskKey, N'") depends on unknown key "', d.DependsOnKey,
                                             N'": no task of this plan or of project ', @ProjectId, N' has it')
              FROM @Deps AS d
              JOIN @Plan AS p ON p.Ordinal = d.Ordinal
             WHERE d.DependsOnOrdinal IS NULL AND d.DependsOnTaskId IS NULL
             ORDER BY d.Ordinal, d.Position;
            IF @Message IS NOT NULL THROW 50400, @Message, 1;

            -- A cancelled task never completes: a task waiting for it could never run.
            SELECT TOP (1) @Message = CONCAT(N'task ', p.Ordinal, N' ("', p.TaskKey, N'") depends on task "', d.DependsOnTaskKey, N'", which is cancelled')
              FROM @Deps AS d
              JOIN @Plan AS p ON p.Ordinal = d.Ordinal
             WHERE d.DependsOnStatus = N'cancelled'
             ORDER BY d.Ordinal, d.Position;
            IF @Message IS NOT NULL THROW 50409, @Message, 1;

            -- In-plan dependencies are never done yet; existing ones count unless done. A dead
            -- dependency blocks with the reason _BlockDependents gives.
            UPDATE p
               SET Unmet = (SELECT COUNT(DISTINCT COALESCE(d.DependsOnTaskId, -d.DependsOnOrdinal))
                              FROM @Deps AS d
                             WHERE d.Ordinal = p.Ordinal AND (d.DependsOnOrdinal IS NOT NULL OR d.DependsOnStatus <> N'done')),
                   BlockedReason = (SELECT TOP (1) LEFT(CONCAT(N'dependency ', d.DependsOnTaskKey, N' failed'), 400)
                                      FROM @Deps AS d
                                     WHERE d.Ordinal = p.Ordinal AND d.DependsOnStatus = N'dead'
                                     ORDER BY d.DependsOnTaskId)
              FROM @Plan AS p;

            INSERT INTO mmos.TaskQueue (TenantId, ProjectId, SubmissionId, TaskKey, Title, Description, TaskType, Phase, Priority, Complexity,
                                        Status, BlockedReason, UnmetDependencies, MaxAttempts, NotBefore, RequiresReview, PreferredInstanceId, CreatedBy)
            OUTPUT inserted.TaskId, inserted.TaskKey INTO @Created (TaskId, TaskKey)
            SELECT @TenantId, @ProjectId, @SubmissionId, p.TaskKey, p.Title, p.Description, ISNULL(LOWER(p.TaskType), N'general'), p.Phase,
                   ISNULL(CAST(p.Priority AS INT), 0), LOWER(p.Complexity),
                   CASE WHEN p.Unmet = 0 THEN N'ready' ELSE N'blocked' END, p.BlockedReason, p.Unmet,
                   ISNULL(CAST(p.MaxAttempts AS INT), 3), ISNULL(p.NotBeforeValue, SYSUTCDATETIME()),
                   CASE WHEN p.RequiresReview = N'true' THEN 1 ELSE 0 END, p.PreferredInstanceId, @CallerId
              FROM @Plan AS p
             ORDER BY p.Ordinal;

            UPDATE p SET NewTaskId = c.TaskId FROM @Plan AS p JOIN @Created AS c ON c.TaskKey = p.TaskKey;

            -- Tasks given without a complexity get an estimated one (the project lock keeps other
            -- plans' tasks out of this id range).
            SELECT @FirstTaskId = MIN(c.TaskId) FROM @Created AS c;
            EXEC mmos._EstimateComplexity @ProjectId = @ProjectId, @FromTaskId = @FirstTaskId;

            INSERT INTO mmos.TaskDependencies (TaskId, DependsOnTaskId, TenantId)
            SELECT DISTINCT p.NewTaskId, COALESCE(d.DependsOnTaskId, x.NewTaskId), @TenantId
              FROM @Deps AS d
              JOIN @Plan AS p ON p.Ordinal = d.Ordinal
              LEFT JOIN @Plan AS x ON x.Ordinal = d.DependsOnOrdinal;

            -- Lower case, as RegisterWorker stores a worker's capabilities, so the claim matches them.
            INSERT INTO mmos.TaskRequiredCapabilities (TaskId, Capability, TenantId)
            SELECT DISTINCT p.NewTaskId, LOWER(e.value), @TenantId
              FROM @Plan AS p
             CROSS APPLY OPENJSON(p.Capabilities) AS e;

            INSERT INTO mmos.TaskEvents (TenantId, TaskId, ProjectId, EventType, FromStatus, ToStatus, Actor, Detail)
            SELECT @TenantId, p.NewTaskId, @ProjectId, N'created', NULL, CASE WHEN p.Unmet = 0 THEN N'ready' ELSE N'blocked' END,
                   @CallerId, p.BlockedReason
              FROM @Plan AS p
             ORDER BY p.Ordinal;
        END
    COMMIT TRANSACTION;

    SELECT t.TaskId AS TaskId,
           t.TaskKey AS TaskKey,
           t.Title AS Title,
           t.Status AS Status,
           t.Priority AS Priority,
           t.UnmetDependencies AS UnmetDependencies,
           @Replayed AS Replayed
      FROM mmos.TaskQueue AS t
      JOIN @Created AS c ON c.TaskId = t.TaskId
     ORDER BY t.TaskId;
END;
GO

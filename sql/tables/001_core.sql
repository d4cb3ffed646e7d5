/*
Migration 001: the coordination tables.
Safe to re-run: every object is created only when missing. Never edit once landed; add 002_*.sql.
Names follow the original MMOS notes (ModelInstances, WorkerPool, WorkSessions, TaskQueue,
InterWorkerMessages) plus what correct behaviour needs. Every row carries TenantId.
Times are UTC (SYSUTCDATETIME()).
*/
IF SCHEMA_ID(N'mmos') IS NULL EXEC(N'CREATE SCHEMA mmos AUTHORIZATION dbo');
GO

IF OBJECT_ID(N'mmos.SchemaVersion', N'U') IS NULL
CREATE TABLE mmos.SchemaVersion (
    Version     INT            NOT NULL CONSTRAINT PK_SchemaVersion PRIMARY KEY,
    Name        NVARCHAR(200)  NOT NULL,
    AppliedAt   DATETIME2(3)   NOT NULL CONSTRAINT DF_SchemaVersion_AppliedAt DEFAULT SYSUTCDATETIME()
);
GO

-- One row per agent instance (Claude-Worker-1, Gemini-1, ...): what it is, what it can do, what it costs.
IF OBJECT_ID(N'mmos.ModelInstances', N'U') IS NULL
CREATE TABLE mmos.ModelInstances (
    InstanceId                  BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_ModelInstances PRIMARY KEY CLUSTERED,
    TenantId                    NVARCHAR(64)   NOT NULL,
    WorkerId                    NVARCHAR(100)  NOT NULL,
    InstanceName                NVARCHAR(200)  NOT NULL,
    ModelType                   NVARCHAR(50)   NOT NULL,
    ModelName                   NVARCHAR(100)  NULL,
    QualityTier                 INT            NOT NULL CONSTRAINT DF_ModelInstances_QualityTier DEFAULT 2,
    InputUsdPerMillionTokens    DECIMAL(12,4)  NOT NULL CONSTRAINT DF_ModelInstances_InputPrice DEFAULT 0,
    OutputUsdPerMillionTokens   DECIMAL(12,4)  NOT NULL CONSTRAINT DF_ModelInstances_OutputPrice DEFAULT 0,
    CreatedAt                   DATETIME2(3)   NOT NULL CONSTRAINT DF_ModelInstances_CreatedAt DEFAULT SYSUTCDATETIME(),
    LastActive                  DATETIME2(3)   NOT NULL CONSTRAINT DF_ModelInstances_LastActive DEFAULT SYSUTCDATETIME(),
    CONSTRAINT UQ_ModelInstances_Tenant_Worker UNIQUE (TenantId, WorkerId),
    CONSTRAINT CK_ModelInstances_QualityTier CHECK (QualityTier BETWEEN 1 AND 3),
    CONSTRAINT CK_ModelInstances_Prices CHECK (InputUsdPerMillionTokens >= 0 AND OutputUsdPerMillionTokens >= 0)
);
GO

IF OBJECT_ID(N'mmos.ModelInstanceCapabilities', N'U') IS NULL
CREATE TABLE mmos.ModelInstanceCapabilities (
    InstanceId  BIGINT        NOT NULL CONSTRAINT FK_ModelInstanceCapabilities_Instance REFERENCES mmos.ModelInstances (InstanceId),
    Capability  NVARCHAR(50)  NOT NULL,
    TenantId    NVARCHAR(64)  NOT NULL,
    CONSTRAINT PK_ModelInstanceCapabilities PRIMARY KEY CLUSTERED (InstanceId, Capability)
);
GO

-- Runtime state of each instance as a worker: online/draining/offline, capacity, heartbeat.
-- Running task counts are derived from TaskQueue (IX_TaskQueue_ClaimedBy), never stored twice.
IF OBJECT_ID(N'mmos.WorkerPool', N'U') IS NULL
CREATE TABLE mmos.WorkerPool (
    InstanceId       BIGINT        NOT NULL CONSTRAINT PK_WorkerPool PRIMARY KEY CLUSTERED
                                   CONSTRAINT FK_WorkerPool_Instance REFERENCES mmos.ModelInstances (InstanceId),
    TenantId         NVARCHAR(64)  NOT NULL,
    Status           NVARCHAR(20)  NOT NULL CONSTRAINT DF_WorkerPool_Status DEFAULT N'online',
    WorkerCapacity   INT           NOT NULL CONSTRAINT DF_WorkerPool_Capacity DEFAULT 1,
    TasksCompleted   INT           NOT NULL CONSTRAINT DF_WorkerPool_TasksCompleted DEFAULT 0,
    TasksFailed      INT           NOT NULL CONSTRAINT DF_WorkerPool_TasksFailed DEFAULT 0,
    RegisteredAt     DATETIME2(3)  NOT NULL CONSTRAINT DF_WorkerPool_RegisteredAt DEFAULT SYSUTCDATETIME(),
    LastHeartbeatAt  DATETIME2(3)  NOT NULL CONSTRAINT DF_WorkerPool_LastHeartbeatAt DEFAULT SYSUTCDATETIME(),
    OfflineAt        DATETIME2(3)  NULL,
    CONSTRAINT CK_WorkerPool_Status CHECK (Status IN (N'online', N'draining', N'offline')),
    CONSTRAINT CK_WorkerPool_Capacity CHECK (WorkerCapacity BETWEEN 1 AND 64)
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WorkerPool_Heartbeat' AND object_id = OBJECT_ID(N'mmos.WorkerPool'))
    CREATE INDEX IX_WorkerPool_Heartbeat ON mmos.WorkerPool (Status, LastHeartbeatAt);
GO

-- Projects ("work sessions" in the original notes).
IF OBJECT_ID(N'mmos.WorkSessions', N'U') IS NULL
CREATE TABLE mmos.WorkSessions (
    ProjectId    BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_WorkSessions PRIMARY KEY CLUSTERED,
    TenantId     NVARCHAR(64)   NOT NULL,
    ProjectName  NVARCHAR(200)  NOT NULL,
    Description  NVARCHAR(MAX)  NULL,
    CreatedBy    NVARCHAR(100)  NOT NULL,
    Status       NVARCHAR(20)   NOT NULL CONSTRAINT DF_WorkSessions_Status DEFAULT N'active',
    Priority     INT            NOT NULL CONSTRAINT DF_WorkSessions_Priority DEFAULT 0,
    BudgetUsd    DECIMAL(12,4)  NULL,
    CreatedAt    DATETIME2(3)   NOT NULL CONSTRAINT DF_WorkSessions_CreatedAt DEFAULT SYSUTCDATETIME(),
    CompletedAt  DATETIME2(3)   NULL,
    CONSTRAINT CK_WorkSessions_Status CHECK (Status IN (N'active', N'completed', N'cancelled')),
    CONSTRAINT CK_WorkSessions_Budget CHECK (BudgetUsd IS NULL OR BudgetUsd >= 0)
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WorkSessions_Tenant' AND object_id = OBJECT_ID(N'mmos.WorkSessions'))
    CREATE INDEX IX_WorkSessions_Tenant ON mmos.WorkSessions (TenantId, Status, ProjectId);
GO

-- One row per plan submitted with an idempotency key, so a retried AddTasks returns the same tasks.
IF OBJECT_ID(N'mmos.PlanSubmissions', N'U') IS NULL
CREATE TABLE mmos.PlanSubmissions (
    SubmissionId    BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_PlanSubmissions PRIMARY KEY CLUSTERED,
    TenantId        NVARCHAR(64)   NOT NULL,
    ProjectId       BIGINT         NOT NULL CONSTRAINT FK_PlanSubmissions_Project REFERENCES mmos.WorkSessions (ProjectId),
    IdempotencyKey  NVARCHAR(100)  NOT NULL,
    SubmittedBy     NVARCHAR(100)  NOT NULL,
    SubmittedAt     DATETIME2(3)   NOT NULL CONSTRAINT DF_PlanSubmissions_SubmittedAt DEFAULT SYSUTCDATETIME(),
    CONSTRAINT UQ_PlanSubmissions_Key UNIQUE (TenantId, ProjectId, IdempotencyKey)
);
GO

/*
The queue. Clustered in dequeue order (TenantId, Status, Priority DESC, TaskId) so that a claim
reads the ready rows of one tenant in the order it hands them out and READPAST skips locked rows
without scanning the rest of the table; a status change moves the row, which is the price of
reading the hot path in key order (the same trade durabletask-mssql makes for its NewTasks table).
UnmetDependencies counts dependencies not yet done: completing a task decrements its direct
dependents through IX_TaskDependencies_DependsOn, so unblocking costs O(dependents), not O(queue).
*/
IF OBJECT_ID(N'mmos.TaskQueue', N'U') IS NULL
CREATE TABLE mmos.TaskQueue (
    TaskId               BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_TaskQueue PRIMARY KEY NONCLUSTERED,
    TenantId             NVARCHAR(64)    NOT NULL,
    ProjectId            BIGINT          NOT NULL CONSTRAINT FK_TaskQueue_Project REFERENCES mmos.WorkSessions (ProjectId),
    SubmissionId         BIGINT          NULL CONSTRAINT FK_TaskQueue_Submission REFERENCES mmos.PlanSubmissions (SubmissionId),
    TaskKey              NVARCHAR(100)   NOT NULL,
    Title                NVARCHAR(200)   NOT NULL,
    Description          NVARCHAR(MAX)   NULL,
    TaskType             NVARCHAR(20)    NOT NULL CONSTRAINT DF_TaskQueue_TaskType DEFAULT N'general',
    Phase                NVARCHAR(100)   NULL,
    Priority             INT             NOT NULL CONSTRAINT DF_TaskQueue_Priority DEFAULT 0,
    Complexity           NVARCHAR(10)    NULL,
    Status               NVARCHAR(20)    NOT NULL,
    BlockedReason        NVARCHAR(400)   NULL,
    UnmetDependencies    INT             NOT NULL CONSTRAINT DF_TaskQueue_Unmet DEFAULT 0,
    AssignedInstanceId   BIGINT          NULL CONSTRAINT FK_TaskQueue_Assigned REFERENCES mmos.ModelInstances (InstanceId),
    ClaimedByInstanceId  BIGINT          NULL CONSTRAINT FK_TaskQueue_ClaimedBy REFERENCES mmos.ModelInstances (InstanceId),
    LeaseToken           UNIQUEIDENTIFIER NULL,
    LeaseExpiresAt       DATETIME2(3)    NULL,
    Attempts             INT             NOT NULL CONSTRAINT DF_TaskQueue_Attempts DEFAULT 0,
    MaxAttempts          INT             NOT NULL CONSTRAINT DF_TaskQueue_MaxAttempts DEFAULT 3,
    NotBefore            DATETIME2(3)    NOT NULL CONSTRAINT DF_TaskQueue_NotBefore DEFAULT SYSUTCDATETIME(),
    ProgressPercent      INT             NULL,
    ProgressNote         NVARCHAR(1000)  NULL,
    Result               NVARCHAR(MAX)   NULL,
    LastError            NVARCHAR(4000)  NULL,
    RequiresReview       BIT             NOT NULL CONSTRAINT DF_TaskQueue_RequiresReview DEFAULT 0,
    ReviewFeedback       NVARCHAR(MAX)   NULL,
    CreatedBy            NVARCHAR(100)   NOT NULL,
    CreatedAt            DATETIME2(3)    NOT NULL CONSTRAINT DF_TaskQueue_CreatedAt DEFAULT SYSUTCDATETIME(),
    StartedAt            DATETIME2(3)    NULL,
    CompletedAt          DATETIME2(3)    NULL,
    UpdatedAt            DATETIME2(3)    NOT NULL CONSTRAINT DF_TaskQueue_UpdatedAt DEFAULT SYSUTCDATETIME(),
    CONSTRAINT UQ_TaskQueue_Project_Key UNIQUE (ProjectId, TaskKey),
    CONSTRAINT CK_TaskQueue_Status CHECK (Status IN (N'blocked', N'ready', N'running', N'review', N'done', N'retry_wait', N'dead', N'cancelled')),
    CONSTRAINT CK_TaskQueue_TaskType CHECK (TaskType IN (N'general', N'research', N'planning', N'coding', N'review', N'testing', N'docs', N'admin')),
    CONSTRAINT CK_TaskQueue_Complexity CHECK (Complexity IS NULL OR Complexity IN (N'low', N'medium', N'high')),
    CONSTRAINT CK_TaskQueue_Attempts CHECK (Attempts >= 0 AND MaxAttempts BETWEEN 1 AND 100),
    CONSTRAINT CK_TaskQueue_Progress CHECK (ProgressPercent IS NULL OR ProgressPercent BETWEEN 0 AND 100),
    CONSTRAINT CK_TaskQueue_Unmet CHECK (UnmetDependencies >= 0)
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'CIX_TaskQueue_Dequeue' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE CLUSTERED INDEX CIX_TaskQueue_Dequeue ON mmos.TaskQueue (TenantId, Status, Priority DESC, TaskId);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskQueue_Project' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE INDEX IX_TaskQueue_Project ON mmos.TaskQueue (ProjectId, Status);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskQueue_ClaimedBy' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE INDEX IX_TaskQueue_ClaimedBy ON mmos.TaskQueue (ClaimedByInstanceId, Status);
GO
-- Tasks assigned to one worker: ClaimNextTask asks whether the caller has any ready before its general pass.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskQueue_Assigned' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE INDEX IX_TaskQueue_Assigned ON mmos.TaskQueue (AssignedInstanceId, Status) WHERE AssignedInstanceId IS NOT NULL;
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskQueue_Lease' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE INDEX IX_TaskQueue_Lease ON mmos.TaskQueue (LeaseExpiresAt) INCLUDE (TenantId) WHERE Status = N'running';
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskQueue_RetryWait' AND object_id = OBJECT_ID(N'mmos.TaskQueue'))
    CREATE INDEX IX_TaskQueue_RetryWait ON mmos.TaskQueue (NotBefore) WHERE Status = N'retry_wait';
GO

-- Dependencies as rows: TaskId waits for DependsOnTaskId.
IF OBJECT_ID(N'mmos.TaskDependencies', N'U') IS NULL
CREATE TABLE mmos.TaskDependencies (
    TaskId           BIGINT        NOT NULL CONSTRAINT FK_TaskDependencies_Task REFERENCES mmos.TaskQueue (TaskId),
    DependsOnTaskId  BIGINT        NOT NULL CONSTRAINT FK_TaskDependencies_DependsOn REFERENCES mmos.TaskQueue (TaskId),
    TenantId         NVARCHAR(64)  NOT NULL,
    CONSTRAINT PK_TaskDependencies PRIMARY KEY CLUSTERED (TaskId, DependsOnTaskId),
    CONSTRAINT CK_TaskDependencies_NotSelf CHECK (TaskId <> DependsOnTaskId)
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskDependencies_DependsOn' AND object_id = OBJECT_ID(N'mmos.TaskDependencies'))
    CREATE INDEX IX_TaskDependencies_DependsOn ON mmos.TaskDependencies (DependsOnTaskId, TaskId);
GO

IF OBJECT_ID(N'mmos.TaskRequiredCapabilities', N'U') IS NULL
CREATE TABLE mmos.TaskRequiredCapabilities (
    TaskId      BIGINT        NOT NULL CONSTRAINT FK_TaskRequiredCapabilities_Task REFERENCES mmos.TaskQueue (TaskId),
    Capability  NVARCHAR(50)  NOT NULL,
    TenantId    NVARCHAR(64)  NOT NULL,
    CONSTRAINT PK_TaskRequiredCapabilities PRIMARY KEY CLUSTERED (TaskId, Capability)
);
GO

-- History: every state change of every task (who, when, from, to).
IF OBJECT_ID(N'mmos.TaskEvents', N'U') IS NULL
CREATE TABLE mmos.TaskEvents (
    EventId     BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_TaskEvents PRIMARY KEY CLUSTERED,
    TenantId    NVARCHAR(64)    NOT NULL,
    TaskId      BIGINT          NOT NULL CONSTRAINT FK_TaskEvents_Task REFERENCES mmos.TaskQueue (TaskId),
    ProjectId   BIGINT          NOT NULL,
    EventType   NVARCHAR(30)    NOT NULL,
    FromStatus  NVARCHAR(20)    NULL,
    ToStatus    NVARCHAR(20)    NULL,
    Actor       NVARCHAR(100)   NOT NULL,
    Detail      NVARCHAR(4000)  NULL,
    CreatedAt   DATETIME2(3)    NOT NULL CONSTRAINT DF_TaskEvents_CreatedAt DEFAULT SYSUTCDATETIME()
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskEvents_Task' AND object_id = OBJECT_ID(N'mmos.TaskEvents'))
    CREATE INDEX IX_TaskEvents_Task ON mmos.TaskEvents (TaskId, EventId);
GO
-- Which projects a worker took part in (ReadMessages and Heartbeat deliver those projects' broadcasts).
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskEvents_Actor' AND object_id = OBJECT_ID(N'mmos.TaskEvents'))
    CREATE INDEX IX_TaskEvents_Actor ON mmos.TaskEvents (TenantId, Actor, ProjectId);
GO

-- Tokens and cost, one row per completed (or failed) attempt that reported usage.
IF OBJECT_ID(N'mmos.UsageRecords', N'U') IS NULL
CREATE TABLE mmos.UsageRecords (
    UsageId     BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_UsageRecords PRIMARY KEY CLUSTERED,
    TenantId    NVARCHAR(64)   NOT NULL,
    ProjectId   BIGINT         NOT NULL CONSTRAINT FK_UsageRecords_Project REFERENCES mmos.WorkSessions (ProjectId),
    TaskId      BIGINT         NOT NULL CONSTRAINT FK_UsageRecords_Task REFERENCES mmos.TaskQueue (TaskId),
    InstanceId  BIGINT         NOT NULL CONSTRAINT FK_UsageRecords_Instance REFERENCES mmos.ModelInstances (InstanceId),
    ModelName   NVARCHAR(100)  NULL,
    TokensIn    BIGINT         NOT NULL CONSTRAINT DF_UsageRecords_TokensIn DEFAULT 0,
    TokensOut   BIGINT         NOT NULL CONSTRAINT DF_UsageRecords_TokensOut DEFAULT 0,
    CostUsd     DECIMAL(14,6)  NOT NULL CONSTRAINT DF_UsageRecords_CostUsd DEFAULT 0,
    CostSource  NVARCHAR(20)   NOT NULL,
    RecordedAt  DATETIME2(3)   NOT NULL CONSTRAINT DF_UsageRecords_RecordedAt DEFAULT SYSUTCDATETIME(),
    CONSTRAINT CK_UsageRecords_CostSource CHECK (CostSource IN (N'reported', N'computed', N'none')),
    CONSTRAINT CK_UsageRecords_NonNegative CHECK (TokensIn >= 0 AND TokensOut >= 0 AND CostUsd >= 0)
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_UsageRecords_Project' AND object_id = OBJECT_ID(N'mmos.UsageRecords'))
    CREATE INDEX IX_UsageRecords_Project ON mmos.UsageRecords (ProjectId, InstanceId);
GO

-- Messages between agents. ToInstanceId NULL = broadcast to the project (or to everyone when ProjectId is NULL).
IF OBJECT_ID(N'mmos.InterWorkerMessages', N'U') IS NULL
CREATE TABLE mmos.InterWorkerMessages (
    MessageId     BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_InterWorkerMessages PRIMARY KEY CLUSTERED,
    TenantId      NVARCHAR(64)   NOT NULL,
    ProjectId     BIGINT         NULL CONSTRAINT FK_InterWorkerMessages_Project REFERENCES mmos.WorkSessions (ProjectId),
    FromId        NVARCHAR(100)  NOT NULL,
    ToInstanceId  BIGINT         NULL CONSTRAINT FK_InterWorkerMessages_To REFERENCES mmos.ModelInstances (InstanceId),
    MessageType   NVARCHAR(30)   NOT NULL CONSTRAINT DF_InterWorkerMessages_Type DEFAULT N'info',
    Content       NVARCHAR(MAX)  NOT NULL,
    CreatedAt     DATETIME2(3)   NOT NULL CONSTRAINT DF_InterWorkerMessages_CreatedAt DEFAULT SYSUTCDATETIME()
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_InterWorkerMessages_To' AND object_id = OBJECT_ID(N'mmos.InterWorkerMessages'))
    CREATE INDEX IX_InterWorkerMessages_To ON mmos.InterWorkerMessages (TenantId, ToInstanceId, MessageId);
GO

-- Who has read what: one row per (message, reader), so a broadcast is read once by each worker.
IF OBJECT_ID(N'mmos.MessageReads', N'U') IS NULL
CREATE TABLE mmos.MessageReads (
    MessageId   BIGINT        NOT NULL CONSTRAINT FK_MessageReads_Message REFERENCES mmos.InterWorkerMessages (MessageId),
    InstanceId  BIGINT        NOT NULL CONSTRAINT FK_MessageReads_Instance REFERENCES mmos.ModelInstances (InstanceId),
    TenantId    NVARCHAR(64)  NOT NULL,
    ReadAt      DATETIME2(3)  NOT NULL CONSTRAINT DF_MessageReads_ReadAt DEFAULT SYSUTCDATETIME(),
    CONSTRAINT PK_MessageReads PRIMARY KEY CLUSTERED (InstanceId, MessageId)
);
GO

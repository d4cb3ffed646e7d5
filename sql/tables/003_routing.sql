/*
Migration 003: routing, cost and review (issue 4).
Safe to re-run: every column, constraint and index is added only when missing. Never edit once
landed; add 004_*.sql.
TaskQueue.PreferredInstanceId: the worker a plan named for the task (AddTasks preferredWorker);
  AssignReadyTasks gives the task to that worker whenever it is eligible.
TaskQueue.AssignmentSource: who set AssignedInstanceId: 'manual' (the admin, AssignTask) or 'auto'
  (AssignReadyTasks); NULL when the task is assigned to nobody. The offline sweep clears the 'auto'
  assignments of a worker that went offline; manual ones stay.
TaskQueue.RoutingNote: why a ready task is not assigned, e.g. 'budget spent: premium models
  excluded' or 'no online worker has capabilities x,y and tier >= 3'; written by AssignReadyTasks,
  cleared when the task is assigned or claimed.
WorkerPool.LastAssignedAt: when AssignReadyTasks last gave the worker a task, so that of two equal
  choices the worker assigned least recently gets the next one.
IX_TaskEvents_Type: the claims of the last 30 days that vw_ModelPerformance reads.
*/
IF COL_LENGTH(N'mmos.TaskQueue', N'PreferredInstanceId') IS NULL
    ALTER TABLE mmos.TaskQueue ADD PreferredInstanceId BIGINT NULL
        CONSTRAINT FK_TaskQueue_Preferred REFERENCES mmos.ModelInstances (InstanceId);
GO
IF COL_LENGTH(N'mmos.TaskQueue', N'AssignmentSource') IS NULL
    ALTER TABLE mmos.TaskQueue ADD AssignmentSource NVARCHAR(10) NULL
        CONSTRAINT CK_TaskQueue_AssignmentSource CHECK (AssignmentSource IN (N'manual', N'auto'));
GO
IF COL_LENGTH(N'mmos.TaskQueue', N'RoutingNote') IS NULL
    ALTER TABLE mmos.TaskQueue ADD RoutingNote NVARCHAR(400) NULL;
GO
IF COL_LENGTH(N'mmos.WorkerPool', N'LastAssignedAt') IS NULL
    ALTER TABLE mmos.WorkerPool ADD LastAssignedAt DATETIME2(3) NULL;
GO
-- Assignments made before this migration were the admin's.
UPDATE mmos.TaskQueue SET AssignmentSource = N'manual' WHERE AssignedInstanceId IS NOT NULL AND AssignmentSource IS NULL;
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_TaskEvents_Type' AND object_id = OBJECT_ID(N'mmos.TaskEvents'))
    CREATE INDEX IX_TaskEvents_Type ON mmos.TaskEvents (EventType, CreatedAt) INCLUDE (TenantId, TaskId, Actor);
GO

/*
@procedure CreateProject
@summary Create a project (a work session) that tasks can then be added to.
@description The project starts 'active'. Priority orders projects for people reading the lists
(higher first); BudgetUsd is an optional spending limit in USD that cost reports compare against.
The caller is recorded as the project's creator.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectName Name of the project (1-200 characters).
@param Description What the project is for (up to 20000 characters).
@param Priority Higher numbers come first; default 0.
@param BudgetUsd Optional budget in USD (zero or more).
@access WorkSessions
@throws 50400 empty or oversized name or description, negative budget
*/
CREATE OR ALTER PROCEDURE mmos.CreateProject
    @TenantId     NVARCHAR(64),
    @CallerId     NVARCHAR(100),
    @ProjectName  NVARCHAR(200),
    @Description  NVARCHAR(MAX) = NULL,
    @Priority     INT = 0,
    @BudgetUsd    DECIMAL(12,4) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'caller id', @CallerId, 100, 1;
    EXEC mmos._CheckText N'project name', @ProjectName, 200, 1;
    EXEC mmos._CheckText N'description', @Description, 20000, 0;
    IF @BudgetUsd < 0 THROW 50400, N'budget must be zero or more', 1;

    DECLARE @ProjectId BIGINT;
    INSERT INTO mmos.WorkSessions (TenantId, ProjectName, Description, CreatedBy, Status, Priority, BudgetUsd)
    VALUES (@TenantId, @ProjectName, @Description, @CallerId, N'active', ISNULL(@Priority, 0), @BudgetUsd);
    SET @ProjectId = CAST(SCOPE_IDENTITY() AS BIGINT);

    SELECT ws.ProjectId AS ProjectId,
           ws.ProjectName AS ProjectName,
           ws.Description AS Description,
           ws.Status AS Status,
           ws.Priority AS Priority,
           ws.BudgetUsd AS BudgetUsd,
           ws.CreatedBy AS CreatedBy,
           ws.CreatedAt AS CreatedAt
      FROM mmos.WorkSessions AS ws
     WHERE ws.ProjectId = @ProjectId;
END;
GO

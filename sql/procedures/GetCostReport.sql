/*
@procedure GetCostReport
@summary A project's cost per model: tokens, actual cost, the cost on the most expensive eligible model, and the saving.
@description One row per model used in the project (the model name its worker registered, else
the model type), in model name order, from the usage recorded for every attempt, completed or
failed: the workers that ran it (WorkerIds, JSON array), the tasks they completed, tokens in and
out, the actual cost, and BaselineCostUsd, what the same tokens would have cost on the most
expensive eligible model for each task: among the registered workers (online or not) with every
capability the task requires and the tier its complexity needs, the prices giving those tokens the
highest cost (never less than the actual cost). SavingUsd = baseline - actual; SavingPercent =
saving / baseline x 100, rounded to 2 decimals (0 when the baseline is 0). Every row repeats the
project's totals (ProjectActualCostUsd, ProjectBaselineCostUsd, ProjectSavingUsd,
ProjectSavingPercent) and its budget: BudgetUsd and BudgetRemainingUsd (budget minus actual cost,
negative once overspent; both empty without a budget). Once the actual cost reaches the budget,
premium models (tier 3) are no longer assigned. A project without recorded usage gives one row
whose model columns are empty and whose figures are zero.
@roles admin
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param ProjectId The project to report on.
@access ModelInstances -> ModelInstanceCapabilities -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50404 unknown project
*/
CREATE OR ALTER PROCEDURE mmos.GetCostReport
    @TenantId   NVARCHAR(64),
    @ProjectId  BIGINT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Message NVARCHAR(400), @Found BIT = 0, @BudgetUsd DECIMAL(12,4), @Actual DECIMAL(18,6), @Baseline DECIMAL(18,6);
    DECLARE @Usage TABLE (
        UsageId      BIGINT NOT NULL PRIMARY KEY,
        ModelName    NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL,
        WorkerId     NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL,
        TokensIn     BIGINT NOT NULL,
        TokensOut    BIGINT NOT NULL,
        CostUsd      DECIMAL(14,6) NOT NULL,
        BaselineUsd  DECIMAL(14,6) NOT NULL
    );

    SELECT @Found = 1, @BudgetUsd = ws.BudgetUsd FROM mmos.WorkSessions AS ws WHERE ws.ProjectId = @ProjectId AND ws.TenantId = @TenantId;
    IF @Found = 0
    BEGIN
        SET @Message = CONCAT(N'project ', @ProjectId, N' not found');
        THROW 50404, @Message, 1;
    END

    -- Each attempt's usage, and what its tokens would have cost on the most expensive model
    -- eligible for its task (rounded to 6 decimals as _RecordUsage rounds a computed cost).
    INSERT INTO @Usage (UsageId, ModelName, WorkerId, TokensIn, TokensOut, CostUsd, BaselineUsd)
    SELECT u.UsageId, COALESCE(u.ModelName, mi.ModelType), mi.WorkerId, u.TokensIn, u.TokensOut, u.CostUsd,
           CASE WHEN b.CostUsd > u.CostUsd THEN b.CostUsd ELSE u.CostUsd END
      FROM mmos.UsageRecords AS u
      JOIN mmos.ModelInstances AS mi ON mi.InstanceId = u.InstanceId
      JOIN mmos.TaskQueue AS t ON t.TaskId = u.TaskId
     -- TOP (1) ... ORDER BY, not MAX(): an aggregate over outer (u) and inner (e) columns together is Msg 8124.
     OUTER APPLY (SELECT TOP (1) CAST((CAST(u.TokensIn AS DECIMAL(20,4)) * e.InputUsdPerMillionTokens
                                  + CAST(u.TokensOut AS DECIMAL(20,4)) * e.OutputUsdPerMillionTokens) / 1000000 AS DECIMAL(14,6)) AS CostUsd
                    FROM mmos.ModelInstances AS e
                   WHERE e.TenantId = t.TenantId
                     AND e.QualityTier >= CASE t.Complexity WHEN N'high' THEN 3 WHEN N'medium' THEN 2 ELSE 1 END
                     AND NOT EXISTS (SELECT 1 FROM mmos.TaskRequiredCapabilities AS rc
                                      WHERE rc.TaskId = t.TaskId
                                        AND NOT EXISTS (SELECT 1 FROM mmos.ModelInstanceCapabilities AS c
                                                         WHERE c.InstanceId = e.InstanceId AND c.Capability = rc.Capability))
                   ORDER BY CostUsd DESC) AS b
     WHERE u.ProjectId = @ProjectId;

    SELECT @Actual = ISNULL(SUM(x.CostUsd), 0), @Baseline = ISNULL(SUM(x.BaselineUsd), 0) FROM @Usage AS x;

    SELECT m.ModelName AS ModelName,
           m.WorkerIds AS WorkerIds,
           m.TasksCompleted AS TasksCompleted,
           m.TokensIn AS TokensIn,
           m.TokensOut AS TokensOut,
           m.ActualCostUsd AS ActualCostUsd,
           m.BaselineCostUsd AS BaselineCostUsd,
           m.BaselineCostUsd - m.ActualCostUsd AS SavingUsd,
           CAST(CASE WHEN m.BaselineCostUsd > 0 THEN ROUND((m.BaselineCostUsd - m.ActualCostUsd) * 100 / m.BaselineCostUsd, 2) ELSE 0 END
                AS DECIMAL(7,2)) AS SavingPercent,
           @Actual AS ProjectActualCostUsd,
           @Baseline AS ProjectBaselineCostUsd,
           @Baseline - @Actual AS ProjectSavingUsd,
           CAST(CASE WHEN @Baseline > 0 THEN ROUND((@Baseline - @Actual) * 100 / @Baseline, 2) ELSE 0 END AS DECIMAL(7,2)) AS ProjectSavingPercent,
           @BudgetUsd AS BudgetUsd,
           @BudgetUsd - @Actual AS BudgetRemainingUsd
      FROM (SELECT g.ModelName,
                   (SELECT N'[' + STRING_AGG(N'"' + STRING_ESCAPE(w.WorkerId, 'json') + N'"', N',') WITHIN GROUP (ORDER BY w.WorkerId) + N']'
                      FROM (SELECT DISTINCT x.WorkerId FROM @Usage AS x WHERE x.ModelName = g.ModelName) AS w) AS WorkerIds,
                   (SELECT COUNT(DISTINCT e.TaskId)
                      FROM mmos.TaskEvents AS e
                      JOIN mmos.ModelInstances AS wi ON wi.TenantId = e.TenantId AND wi.WorkerId = e.Actor
                     WHERE e.ProjectId = @ProjectId AND e.EventType = N'completed'
                       AND COALESCE(wi.ModelName, wi.ModelType) = g.ModelName) AS TasksCompleted,
                   g.TokensIn, g.TokensOut, g.ActualCostUsd, g.BaselineCostUsd
              FROM (SELECT x.ModelName,
                           SUM(x.TokensIn) AS TokensIn,
                           SUM(x.TokensOut) AS TokensOut,
                           CAST(SUM(x.CostUsd) AS DECIMAL(18,6)) AS ActualCostUsd,
                           CAST(SUM(x.BaselineUsd) AS DECIMAL(18,6)) AS BaselineCostUsd
                      FROM @Usage AS x
                     GROUP BY x.ModelName) AS g
            UNION ALL
            SELECT NULL, N'[]', 0, 0, 0, 0, 0
             WHERE NOT EXISTS (SELECT 1 FROM @Usage)) AS m
     ORDER BY m.ModelName;
END;
GO

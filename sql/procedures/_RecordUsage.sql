/*
@procedure _RecordUsage
@summary Record the tokens and cost of one attempt in UsageRecords.
@description Internal helper of CompleteTask and FailTask. The cost source is 'reported' when the
worker gave a cost, else 'computed' from the instance's prices per million tokens when it gave
token counts, else 'none' (a zero-cost row, so every completion has a usage row).
@internal true
@writes true
@access ModelInstances -> UsageRecords
@throws none
*/
CREATE OR ALTER PROCEDURE mmos._RecordUsage
    @TenantId    NVARCHAR(64),
    @ProjectId   BIGINT,
    @TaskId      BIGINT,
    @InstanceId  BIGINT,
    @TokensIn    BIGINT,
    @TokensOut   BIGINT,
    @CostUsd     DECIMAL(14,6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    INSERT INTO mmos.UsageRecords (TenantId, ProjectId, TaskId, InstanceId, ModelName, TokensIn, TokensOut, CostUsd, CostSource)
    SELECT @TenantId, @ProjectId, @TaskId, mi.InstanceId, mi.ModelName, ISNULL(@TokensIn, 0), ISNULL(@TokensOut, 0),
           CASE WHEN @CostUsd IS NOT NULL THEN @CostUsd
                WHEN @TokensIn IS NOT NULL OR @TokensOut IS NOT NULL
                    THEN CAST((CAST(ISNULL(@TokensIn, 0) AS DECIMAL(20,4)) * mi.InputUsdPerMillionTokens
                             + CAST(ISNULL(@TokensOut, 0) AS DECIMAL(20,4)) * mi.OutputUsdPerMillionTokens) / 1000000 AS DECIMAL(14,6))
                ELSE 0 END,
           CASE WHEN @CostUsd IS NOT NULL THEN N'reported'
                WHEN @TokensIn IS NOT NULL OR @TokensOut IS NOT NULL THEN N'computed'
                ELSE N'none' END
      FROM mmos.ModelInstances AS mi
     WHERE mi.InstanceId = @InstanceId;
END;
GO

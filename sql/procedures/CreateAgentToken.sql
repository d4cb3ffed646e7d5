/*
@procedure CreateAgentToken
@summary Record a new bearer token for an agent of the hub; only the SHA-256 hash of the token is stored.
@description The hub (mmos serve) authenticates every HTTP request by the SHA-256 of its bearer
token; this maps one to an identity: the tenant, the agent id (the worker id for a worker, the
instance name for the admin) and the role. The token itself is made by the CLI and never reaches
the database. An agent may hold several tokens, so a new one can be rolled out before the old one
is revoked. Used by `mmos token create`; never served as an MCP tool.
@roles admin
@toolset cli
@writes true
@destructive false
@idempotent false
@param AgentId The identity the token stands for: the worker id for a worker, the instance name for the admin.
@param Role admin, worker or reader.
@param TokenHash SHA-256 of the token as 64 lower-case hexadecimal digits.
@param Label What the token is for, e.g. the machine or the agent session (optional).
@access AgentTokens
@throws 50400 empty or oversized tenant, agent id or label, unknown role, malformed hash; 50409 a token with this hash already exists
*/
CREATE OR ALTER PROCEDURE mmos.CreateAgentToken
    @TenantId   NVARCHAR(64),
    @CallerId   NVARCHAR(100),
    @AgentId    NVARCHAR(100),
    @Role       NVARCHAR(20),
    @TokenHash  CHAR(64),
    @Label      NVARCHAR(200) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'tenant id', @TenantId, 64, 1;
    EXEC mmos._CheckText N'agent id', @AgentId, 100, 1;
    EXEC mmos._CheckText N'label', @Label, 200, 0;
    IF @Role IS NULL OR @Role NOT IN (N'admin', N'worker', N'reader')
        THROW 50400, N'role must be admin, worker or reader', 1;
    -- CHAR(64) pads a shorter value with spaces, which the pattern refuses; BIN2 makes a-f lower case only.
    IF @TokenHash IS NULL OR @TokenHash COLLATE Latin1_General_BIN2 LIKE '%[^0-9a-f]%'
        THROW 50400, N'token hash must be 64 lower-case hexadecimal digits', 1;
    IF EXISTS (SELECT 1 FROM mmos.AgentTokens AS t WHERE t.TokenHash = @TokenHash)
        THROW 50409, N'a token with this hash already exists', 1;

    DECLARE @TokenId BIGINT;
    INSERT INTO mmos.AgentTokens (TenantId, AgentId, Role, TokenHash, Label, CreatedBy)
    VALUES (@TenantId, @AgentId, @Role, @TokenHash, @Label, @CallerId);
    SET @TokenId = CAST(SCOPE_IDENTITY() AS BIGINT);

    SELECT t.TokenId AS TokenId,
           t.AgentId AS AgentId,
           t.Role AS Role,
           t.Label AS Label,
           t.CreatedBy AS CreatedBy,
           t.CreatedAt AS CreatedAt
      FROM mmos.AgentTokens AS t
     WHERE t.TokenId = @TokenId;
END;
GO

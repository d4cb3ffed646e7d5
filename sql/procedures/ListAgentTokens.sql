/*
@procedure ListAgentTokens
@summary List the bearer tokens of the tenant's agents (never the hashes).
@description One row per token: which agent and role it stands for, its label, who made it and
when, and when it was revoked. Active tokens only unless IncludeRevoked is set. Neither the token
nor its hash is returned. Used by `mmos token list`; never served as an MCP tool.
@roles admin
@toolset cli
@writes false
@destructive false
@idempotent true
@param AgentId Only this agent's tokens (optional).
@param IncludeRevoked Include revoked tokens (default false).
@access AgentTokens
@throws 50400 oversized agent id
*/
CREATE OR ALTER PROCEDURE mmos.ListAgentTokens
    @TenantId        NVARCHAR(64),
    @AgentId         NVARCHAR(100) = NULL,
    @IncludeRevoked  BIT = 0
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'agent id', @AgentId, 100, 0;

    SELECT t.TokenId AS TokenId,
           t.AgentId AS AgentId,
           t.Role AS Role,
           t.Label AS Label,
           t.CreatedBy AS CreatedBy,
           t.CreatedAt AS CreatedAt,
           t.RevokedAt AS RevokedAt,
           t.RevokedBy AS RevokedBy
      FROM mmos.AgentTokens AS t
     WHERE t.TenantId = @TenantId
       AND (@AgentId IS NULL OR t.AgentId = @AgentId)
       AND (ISNULL(@IncludeRevoked, 0) = 1 OR t.RevokedAt IS NULL)
     ORDER BY t.AgentId, t.TokenId;
END;
GO

/*
@procedure RevokeAgentToken
@summary Revoke an agent's bearer tokens (all of them, or one by its id); the hub refuses them from then on.
@description Marks the tokens revoked (RevokedAt, RevokedBy) and keeps the rows, so the history of
who could connect stays readable. The hub resolves the token on every request, so the next request
with a revoked token gets HTTP 401. Used by `mmos token revoke`; never served as an MCP tool.
Returns the tokens revoked by this call.
@roles admin
@toolset cli
@writes true
@destructive true
@idempotent false
@param AgentId The agent whose tokens to revoke.
@param TokenId Revoke only this token of the agent (optional: all its active tokens).
@access AgentTokens
@throws 50400 empty or oversized agent id; 50404 no active token of this agent (with this id)
*/
CREATE OR ALTER PROCEDURE mmos.RevokeAgentToken
    @TenantId  NVARCHAR(64),
    @CallerId  NVARCHAR(100),
    @AgentId   NVARCHAR(100),
    @TokenId   BIGINT = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    EXEC mmos._CheckText N'agent id', @AgentId, 100, 1;

    DECLARE @Message NVARCHAR(400);
    DECLARE @Revoked TABLE (
        TokenId    BIGINT         NOT NULL,
        AgentId    NVARCHAR(100)  NOT NULL,
        Role       NVARCHAR(20)   NOT NULL,
        Label      NVARCHAR(200)  NULL,
        RevokedAt  DATETIME2(3)   NOT NULL
    );

    UPDATE mmos.AgentTokens
       SET RevokedAt = SYSUTCDATETIME(), RevokedBy = @CallerId
    OUTPUT inserted.TokenId, inserted.AgentId, inserted.Role, inserted.Label, inserted.RevokedAt INTO @Revoked
     WHERE TenantId = @TenantId AND AgentId = @AgentId AND RevokedAt IS NULL
       AND (@TokenId IS NULL OR TokenId = @TokenId);

    IF NOT EXISTS (SELECT 1 FROM @Revoked)
    BEGIN
        IF @TokenId IS NULL
            SET @Message = CONCAT(N'agent ', @AgentId, N' has no active token');
        ELSE
            SET @Message = CONCAT(N'token ', @TokenId, N' of agent ', @AgentId, N' not found or already revoked');
        THROW 50404, @Message, 1;
    END

    SELECT r.TokenId AS TokenId,
           r.AgentId AS AgentId,
           r.Role AS Role,
           r.Label AS Label,
           r.RevokedAt AS RevokedAt
      FROM @Revoked AS r
     ORDER BY r.TokenId;
END;
GO

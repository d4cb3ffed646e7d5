/*
@procedure ResolveAgentToken
@summary Find the identity a bearer token stands for: tenant, agent id and role; no row when unknown or revoked.
@description The hub calls this on every HTTP request, with the SHA-256 of the bearer token, before
it knows who is calling. It is the one public procedure that does not take TenantId first: the
token is what tells the server the caller's tenant, so there is no tenant to pass until it is
resolved; the hash is unique across all tenants (UQ_AgentTokens_TokenHash), so the lookup needs
none. An unknown or revoked token returns no row (the hub answers 401), not an error, so a failed
login costs no exception. Never served as an MCP tool.
@roles admin
@toolset cli
@writes false
@destructive false
@idempotent true
@param TokenHash SHA-256 of the bearer token as 64 lower-case hexadecimal digits.
@access AgentTokens
@throws none
*/
DROP FUNCTION IF EXISTS mmos.resolve_agent_token;
CREATE FUNCTION mmos.resolve_agent_token(
    p_token_hash  text
)
RETURNS TABLE (
    tenant_id  text,
    agent_id   text,
    role       text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT t.tenant_id::text, t.agent_id::text, t.role::text
      FROM mmos.agent_tokens AS t
     WHERE t.token_hash = p_token_hash::char(64)
       AND t.revoked_at IS NULL;
END;
$$;

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
DROP FUNCTION IF EXISTS mmos.list_agent_tokens;
CREATE FUNCTION mmos.list_agent_tokens(
    p_tenant_id        text,
    p_agent_id         text DEFAULT NULL,
    p_include_revoked  boolean DEFAULT false
)
RETURNS TABLE (
    token_id    bigint,
    agent_id    text,
    role        text,
    label       text,
    created_by  text,
    created_at  timestamptz,
    revoked_at  timestamptz,
    revoked_by  text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM mmos._check_text('agent id', p_agent_id, 100, false);

    RETURN QUERY
    SELECT t.token_id, t.agent_id::text, t.role::text, t.label::text, t.created_by::text,
           t.created_at, t.revoked_at, t.revoked_by::text
      FROM mmos.agent_tokens AS t
     WHERE t.tenant_id = p_tenant_id
       AND (p_agent_id IS NULL OR t.agent_id = p_agent_id)
       AND (coalesce(p_include_revoked, false) OR t.revoked_at IS NULL)
     ORDER BY t.agent_id, t.token_id;
END;
$$;

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
DROP FUNCTION IF EXISTS mmos.revoke_agent_token;
CREATE FUNCTION mmos.revoke_agent_token(
    p_tenant_id  text,
    p_caller_id  text,
    p_agent_id   text,
    p_token_id   bigint DEFAULT NULL
)
RETURNS TABLE (
    token_id    bigint,
    agent_id    text,
    role        text,
    label       text,
    revoked_at  timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM mmos._check_text('agent id', p_agent_id, 100, true);

    RETURN QUERY
    WITH revoked AS (
        UPDATE mmos.agent_tokens AS t
           SET revoked_at = now(), revoked_by = p_caller_id
         WHERE t.tenant_id = p_tenant_id AND t.agent_id = p_agent_id AND t.revoked_at IS NULL
           AND (p_token_id IS NULL OR t.token_id = p_token_id)
        RETURNING t.token_id, t.agent_id, t.role, t.label, t.revoked_at
    )
    SELECT r.token_id, r.agent_id::text, r.role::text, r.label::text, r.revoked_at
      FROM revoked AS r
     ORDER BY r.token_id;

    IF NOT FOUND THEN
        IF p_token_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('agent ', p_agent_id, ' has no active token');
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'MM404',
            MESSAGE = concat('token ', p_token_id, ' of agent ', p_agent_id, ' not found or already revoked');
    END IF;
END;
$$;

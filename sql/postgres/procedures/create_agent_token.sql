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
DROP FUNCTION IF EXISTS mmos.create_agent_token;
CREATE FUNCTION mmos.create_agent_token(
    p_tenant_id   text,
    p_caller_id   text,
    p_agent_id    text,
    p_role        text,
    p_token_hash  text,
    p_label       text DEFAULT NULL
)
RETURNS TABLE (
    token_id    bigint,
    agent_id    text,
    role        text,
    label       text,
    created_by  text,
    created_at  timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_token_id bigint;
BEGIN
    PERFORM mmos._check_text('tenant id', p_tenant_id, 64, true);
    PERFORM mmos._check_text('agent id', p_agent_id, 100, true);
    PERFORM mmos._check_text('label', p_label, 200, false);
    IF p_role IS NULL OR p_role NOT IN ('admin', 'worker', 'reader') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'role must be admin, worker or reader';
    END IF;
    IF p_token_hash IS NULL OR p_token_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'token hash must be 64 lower-case hexadecimal digits';
    END IF;
    IF EXISTS (SELECT 1 FROM mmos.agent_tokens AS t WHERE t.token_hash = p_token_hash::char(64)) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = 'a token with this hash already exists';
    END IF;

    INSERT INTO mmos.agent_tokens (tenant_id, agent_id, role, token_hash, label, created_by)
    VALUES (p_tenant_id, p_agent_id, p_role, p_token_hash, p_label, p_caller_id)
    RETURNING agent_tokens.token_id INTO v_token_id;

    RETURN QUERY
    SELECT t.token_id, t.agent_id::text, t.role::text, t.label::text, t.created_by::text, t.created_at
      FROM mmos.agent_tokens AS t
     WHERE t.token_id = v_token_id;
END;
$$;

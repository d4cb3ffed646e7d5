/*
Migration 002 (PostgreSQL twin of sql/tables/002_agent_tokens.sql): bearer tokens of the agents
that reach the hub over HTTP (mmos serve).
Safe to re-run: every object is created only when missing. Never edit once landed; add 003_*.sql.
One row per token. Only the SHA-256 of a token is stored (64 lower-case hex digits); the token
itself is shown once, when it is made, and cannot be recovered from the database. A token maps to
an identity: the tenant, the agent id (the worker id for a worker, the instance name for the
admin) and the role. A revoked token keeps its row (revoked_at set) so the history stays readable.
*/
CREATE TABLE IF NOT EXISTS mmos.agent_tokens (
    token_id    bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_agent_tokens PRIMARY KEY,
    tenant_id   varchar(64)   NOT NULL,
    agent_id    varchar(100)  NOT NULL,
    role        varchar(20)   NOT NULL,
    token_hash  char(64)      NOT NULL,
    label       varchar(200)  NULL,
    created_by  varchar(100)  NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    revoked_at  timestamptz   NULL,
    revoked_by  varchar(100)  NULL,
    CONSTRAINT uq_agent_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT ck_agent_tokens_role CHECK (role IN ('admin', 'worker', 'reader')),
    CONSTRAINT ck_agent_tokens_token_hash CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX IF NOT EXISTS ix_agent_tokens_agent ON mmos.agent_tokens (tenant_id, agent_id, token_id);

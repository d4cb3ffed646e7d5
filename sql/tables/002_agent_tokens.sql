/*
Migration 002: bearer tokens of the agents that reach the hub over HTTP (mmos serve).
Safe to re-run: every object is created only when missing. Never edit once landed; add 003_*.sql.
One row per token. Only the SHA-256 of a token is stored (64 lower-case hex digits); the token
itself is shown once, when it is made, and cannot be recovered from the database. A token maps to
an identity: the tenant, the agent id (the worker id for a worker, the instance name for the
admin) and the role. A revoked token keeps its row (RevokedAt set) so the history stays readable.
*/
IF OBJECT_ID(N'mmos.AgentTokens', N'U') IS NULL
CREATE TABLE mmos.AgentTokens (
    TokenId    BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT PK_AgentTokens PRIMARY KEY CLUSTERED,
    TenantId   NVARCHAR(64)   NOT NULL,
    AgentId    NVARCHAR(100)  NOT NULL,
    Role       NVARCHAR(20)   NOT NULL,
    TokenHash  CHAR(64)       NOT NULL,
    Label      NVARCHAR(200)  NULL,
    CreatedBy  NVARCHAR(100)  NOT NULL,
    CreatedAt  DATETIME2(3)   NOT NULL CONSTRAINT DF_AgentTokens_CreatedAt DEFAULT SYSUTCDATETIME(),
    RevokedAt  DATETIME2(3)   NULL,
    RevokedBy  NVARCHAR(100)  NULL,
    CONSTRAINT UQ_AgentTokens_TokenHash UNIQUE (TokenHash),
    CONSTRAINT CK_AgentTokens_Role CHECK (Role IN (N'admin', N'worker', N'reader')),
    CONSTRAINT CK_AgentTokens_TokenHash CHECK (TokenHash COLLATE Latin1_General_BIN2 NOT LIKE '%[^0-9a-f]%')
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_AgentTokens_Agent' AND object_id = OBJECT_ID(N'mmos.AgentTokens'))
    CREATE INDEX IX_AgentTokens_Agent ON mmos.AgentTokens (TenantId, AgentId, TokenId);
GO

/*
Migration 001: the coordination tables (PostgreSQL twin of sql/tables/001_core.sql).
Safe to re-run: IF NOT EXISTS everywhere. Never edit once landed; add 002_*.sql.
Times are timestamptz (UTC on the wire).
*/
CREATE SCHEMA IF NOT EXISTS mmos;

CREATE TABLE IF NOT EXISTS mmos.schema_version (
    version     integer       NOT NULL CONSTRAINT pk_schema_version PRIMARY KEY,
    name        varchar(200)  NOT NULL,
    applied_at  timestamptz   NOT NULL DEFAULT now()
);

-- One row per agent instance (Claude-Worker-1, Gemini-1, ...): what it is, what it can do, what it costs.
CREATE TABLE IF NOT EXISTS mmos.model_instances (
    instance_id                    bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_model_instances PRIMARY KEY,
    tenant_id                      varchar(64)    NOT NULL,
    worker_id                      varchar(100)   NOT NULL,
    instance_name                  varchar(200)   NOT NULL,
    model_type                     varchar(50)    NOT NULL,
    model_name                     varchar(100)   NULL,
    quality_tier                   integer        NOT NULL DEFAULT 2,
    input_usd_per_million_tokens   numeric(12,4)  NOT NULL DEFAULT 0,
    output_usd_per_million_tokens  numeric(12,4)  NOT NULL DEFAULT 0,
    created_at                     timestamptz    NOT NULL DEFAULT now(),
    last_active                    timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT uq_model_instances_tenant_worker UNIQUE (tenant_id, worker_id),
    CONSTRAINT ck_model_instances_quality_tier CHECK (quality_tier BETWEEN 1 AND 3),
    CONSTRAINT ck_model_instances_prices CHECK (input_usd_per_million_tokens >= 0 AND output_usd_per_million_tokens >= 0)
);

CREATE TABLE IF NOT EXISTS mmos.model_instance_capabilities (
    instance_id  bigint       NOT NULL CONSTRAINT fk_model_instance_capabilities_instance REFERENCES mmos.model_instances (instance_id),
    capability   varchar(50)  NOT NULL,
    tenant_id    varchar(64)  NOT NULL,
    CONSTRAINT pk_model_instance_capabilities PRIMARY KEY (instance_id, capability)
);

-- Runtime state of each instance as a worker. Running task counts are derived from task_queue.
CREATE TABLE IF NOT EXISTS mmos.worker_pool (
    instance_id        bigint       NOT NULL CONSTRAINT pk_worker_pool PRIMARY KEY
                                    CONSTRAINT fk_worker_pool_instance REFERENCES mmos.model_instances (instance_id),
    tenant_id          varchar(64)  NOT NULL,
    status             varchar(20)  NOT NULL DEFAULT 'online',
    worker_capacity    integer      NOT NULL DEFAULT 1,
    tasks_completed    integer      NOT NULL DEFAULT 0,
    tasks_failed       integer      NOT NULL DEFAULT 0,
    registered_at      timestamptz  NOT NULL DEFAULT now(),
    last_heartbeat_at  timestamptz  NOT NULL DEFAULT now(),
    offline_at         timestamptz  NULL,
    CONSTRAINT ck_worker_pool_status CHECK (status IN ('online', 'draining', 'offline')),
    CONSTRAINT ck_worker_pool_capacity CHECK (worker_capacity BETWEEN 1 AND 64)
);
CREATE INDEX IF NOT EXISTS ix_worker_pool_heartbeat ON mmos.worker_pool (status, last_heartbeat_at);

-- Projects ("work sessions" in the original notes).
CREATE TABLE IF NOT EXISTS mmos.work_sessions (
    project_id    bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_work_sessions PRIMARY KEY,
    tenant_id     varchar(64)    NOT NULL,
    project_name  varchar(200)   NOT NULL,
    description   text           NULL,
    created_by    varchar(100)   NOT NULL,
    status        varchar(20)    NOT NULL DEFAULT 'active',
    priority      integer        NOT NULL DEFAULT 0,
    budget_usd    numeric(12,4)  NULL,
    created_at    timestamptz    NOT NULL DEFAULT now(),
    completed_at  timestamptz    NULL,
    CONSTRAINT ck_work_sessions_status CHECK (status IN ('active', 'completed', 'cancelled')),
    CONSTRAINT ck_work_sessions_budget CHECK (budget_usd IS NULL OR budget_usd >= 0)
);
CREATE INDEX IF NOT EXISTS ix_work_sessions_tenant ON mmos.work_sessions (tenant_id, status, project_id);

-- One row per plan submitted with an idempotency key, so a retried add_tasks returns the same tasks.
CREATE TABLE IF NOT EXISTS mmos.plan_submissions (
    submission_id    bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_plan_submissions PRIMARY KEY,
    tenant_id        varchar(64)   NOT NULL,
    project_id       bigint        NOT NULL CONSTRAINT fk_plan_submissions_project REFERENCES mmos.work_sessions (project_id),
    idempotency_key  varchar(100)  NOT NULL,
    submitted_by     varchar(100)  NOT NULL,
    submitted_at     timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT uq_plan_submissions_key UNIQUE (tenant_id, project_id, idempotency_key)
);

/*
The queue. PostgreSQL has no clustered index to keep; the partial index ix_task_queue_dequeue holds
exactly the ready rows in dequeue order, so a claim walks it and SKIP LOCKED passes rows that other
claimers hold. unmet_dependencies counts dependencies not yet done: completing a task decrements
its direct dependents through ix_task_dependencies_depends_on, O(dependents) not O(queue).
*/
CREATE TABLE IF NOT EXISTS mmos.task_queue (
    task_id                 bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_task_queue PRIMARY KEY,
    tenant_id               varchar(64)     NOT NULL,
    project_id              bigint          NOT NULL CONSTRAINT fk_task_queue_project REFERENCES mmos.work_sessions (project_id),
    submission_id           bigint          NULL CONSTRAINT fk_task_queue_submission REFERENCES mmos.plan_submissions (submission_id),
    task_key                varchar(100)    NOT NULL,
    title                   varchar(200)    NOT NULL,
    description             text            NULL,
    task_type               varchar(20)     NOT NULL DEFAULT 'general',
    phase                   varchar(100)    NULL,
    priority                integer         NOT NULL DEFAULT 0,
    complexity              varchar(10)     NULL,
    status                  varchar(20)     NOT NULL,
    blocked_reason          varchar(400)    NULL,
    unmet_dependencies      integer         NOT NULL DEFAULT 0,
    assigned_instance_id    bigint          NULL CONSTRAINT fk_task_queue_assigned REFERENCES mmos.model_instances (instance_id),
    claimed_by_instance_id  bigint          NULL CONSTRAINT fk_task_queue_claimed_by REFERENCES mmos.model_instances (instance_id),
    lease_token             uuid            NULL,
    lease_expires_at        timestamptz     NULL,
    attempts                integer         NOT NULL DEFAULT 0,
    max_attempts            integer         NOT NULL DEFAULT 3,
    not_before              timestamptz     NOT NULL DEFAULT now(),
    progress_percent        integer         NULL,
    progress_note           varchar(1000)   NULL,
    result                  text            NULL,
    last_error              varchar(4000)   NULL,
    requires_review         boolean         NOT NULL DEFAULT false,
    review_feedback         text            NULL,
    created_by              varchar(100)    NOT NULL,
    created_at              timestamptz     NOT NULL DEFAULT now(),
    started_at              timestamptz     NULL,
    completed_at            timestamptz     NULL,
    updated_at              timestamptz     NOT NULL DEFAULT now(),
    CONSTRAINT uq_task_queue_project_key UNIQUE (project_id, task_key),
    CONSTRAINT ck_task_queue_status CHECK (status IN ('blocked', 'ready', 'running', 'review', 'done', 'retry_wait', 'dead', 'cancelled')),
    CONSTRAINT ck_task_queue_task_type CHECK (task_type IN ('general', 'research', 'planning', 'coding', 'review', 'testing', 'docs', 'admin')),
    CONSTRAINT ck_task_queue_complexity CHECK (complexity IS NULL OR complexity IN ('low', 'medium', 'high')),
    CONSTRAINT ck_task_queue_attempts CHECK (attempts >= 0 AND max_attempts BETWEEN 1 AND 100),
    CONSTRAINT ck_task_queue_progress CHECK (progress_percent IS NULL OR progress_percent BETWEEN 0 AND 100),
    CONSTRAINT ck_task_queue_unmet CHECK (unmet_dependencies >= 0)
);
CREATE INDEX IF NOT EXISTS ix_task_queue_dequeue ON mmos.task_queue (tenant_id, priority DESC, task_id) WHERE status = 'ready';
CREATE INDEX IF NOT EXISTS ix_task_queue_project ON mmos.task_queue (project_id, status);
CREATE INDEX IF NOT EXISTS ix_task_queue_claimed_by ON mmos.task_queue (claimed_by_instance_id, status);
-- Tasks assigned to one worker: claim_next_task asks whether the caller has any ready before its general pass.
CREATE INDEX IF NOT EXISTS ix_task_queue_assigned ON mmos.task_queue (assigned_instance_id, status) WHERE assigned_instance_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_task_queue_lease ON mmos.task_queue (lease_expires_at) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS ix_task_queue_retry_wait ON mmos.task_queue (not_before) WHERE status = 'retry_wait';

-- Dependencies as rows: task_id waits for depends_on_task_id.
CREATE TABLE IF NOT EXISTS mmos.task_dependencies (
    task_id             bigint       NOT NULL CONSTRAINT fk_task_dependencies_task REFERENCES mmos.task_queue (task_id),
    depends_on_task_id  bigint       NOT NULL CONSTRAINT fk_task_dependencies_depends_on REFERENCES mmos.task_queue (task_id),
    tenant_id           varchar(64)  NOT NULL,
    CONSTRAINT pk_task_dependencies PRIMARY KEY (task_id, depends_on_task_id),
    CONSTRAINT ck_task_dependencies_not_self CHECK (task_id <> depends_on_task_id)
);
CREATE INDEX IF NOT EXISTS ix_task_dependencies_depends_on ON mmos.task_dependencies (depends_on_task_id, task_id);

CREATE TABLE IF NOT EXISTS mmos.task_required_capabilities (
    task_id     bigint       NOT NULL CONSTRAINT fk_task_required_capabilities_task REFERENCES mmos.task_queue (task_id),
    capability  varchar(50)  NOT NULL,
    tenant_id   varchar(64)  NOT NULL,
    CONSTRAINT pk_task_required_capabilities PRIMARY KEY (task_id, capability)
);

-- History: every state change of every task (who, when, from, to).
CREATE TABLE IF NOT EXISTS mmos.task_events (
    event_id     bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_task_events PRIMARY KEY,
    tenant_id    varchar(64)    NOT NULL,
    task_id      bigint         NOT NULL CONSTRAINT fk_task_events_task REFERENCES mmos.task_queue (task_id),
    project_id   bigint         NOT NULL,
    event_type   varchar(30)    NOT NULL,
    from_status  varchar(20)    NULL,
    to_status    varchar(20)    NULL,
    actor        varchar(100)   NOT NULL,
    detail       varchar(4000)  NULL,
    created_at   timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_task_events_task ON mmos.task_events (task_id, event_id);
-- Which projects a worker took part in (read_messages and heartbeat deliver those projects' broadcasts).
CREATE INDEX IF NOT EXISTS ix_task_events_actor ON mmos.task_events (tenant_id, actor, project_id);

-- Tokens and cost, one row per attempt that reported usage.
CREATE TABLE IF NOT EXISTS mmos.usage_records (
    usage_id     bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_usage_records PRIMARY KEY,
    tenant_id    varchar(64)    NOT NULL,
    project_id   bigint         NOT NULL CONSTRAINT fk_usage_records_project REFERENCES mmos.work_sessions (project_id),
    task_id      bigint         NOT NULL CONSTRAINT fk_usage_records_task REFERENCES mmos.task_queue (task_id),
    instance_id  bigint         NOT NULL CONSTRAINT fk_usage_records_instance REFERENCES mmos.model_instances (instance_id),
    model_name   varchar(100)   NULL,
    tokens_in    bigint         NOT NULL DEFAULT 0,
    tokens_out   bigint         NOT NULL DEFAULT 0,
    cost_usd     numeric(14,6)  NOT NULL DEFAULT 0,
    cost_source  varchar(20)    NOT NULL,
    recorded_at  timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT ck_usage_records_cost_source CHECK (cost_source IN ('reported', 'computed', 'none')),
    CONSTRAINT ck_usage_records_non_negative CHECK (tokens_in >= 0 AND tokens_out >= 0 AND cost_usd >= 0)
);
CREATE INDEX IF NOT EXISTS ix_usage_records_project ON mmos.usage_records (project_id, instance_id);

-- Messages between agents. to_instance_id NULL = broadcast to the project (or everyone when project_id is NULL).
CREATE TABLE IF NOT EXISTS mmos.inter_worker_messages (
    message_id      bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inter_worker_messages PRIMARY KEY,
    tenant_id       varchar(64)   NOT NULL,
    project_id      bigint        NULL CONSTRAINT fk_inter_worker_messages_project REFERENCES mmos.work_sessions (project_id),
    from_id         varchar(100)  NOT NULL,
    to_instance_id  bigint        NULL CONSTRAINT fk_inter_worker_messages_to REFERENCES mmos.model_instances (instance_id),
    message_type    varchar(30)   NOT NULL DEFAULT 'info',
    content         text          NOT NULL,
    created_at      timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_inter_worker_messages_to ON mmos.inter_worker_messages (tenant_id, to_instance_id, message_id);

-- Who has read what: one row per (message, reader), so a broadcast is read once by each worker.
CREATE TABLE IF NOT EXISTS mmos.message_reads (
    message_id   bigint       NOT NULL CONSTRAINT fk_message_reads_message REFERENCES mmos.inter_worker_messages (message_id),
    instance_id  bigint       NOT NULL CONSTRAINT fk_message_reads_instance REFERENCES mmos.model_instances (instance_id),
    tenant_id    varchar(64)  NOT NULL,
    read_at      timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_message_reads PRIMARY KEY (instance_id, message_id)
);

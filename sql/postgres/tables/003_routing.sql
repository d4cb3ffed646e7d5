/*
Migration 003 (PostgreSQL twin of sql/tables/003_routing.sql): routing, cost and review (issue 4).
Safe to re-run: every column, constraint and index is added only when missing. Never edit once
landed; add 004_*.sql.
task_queue.preferred_instance_id: the worker a plan named for the task (add_tasks preferredWorker);
  assign_ready_tasks gives the task to that worker whenever it is eligible.
task_queue.assignment_source: who set assigned_instance_id: 'manual' (the admin, assign_task) or
  'auto' (assign_ready_tasks); NULL when the task is assigned to nobody. The offline sweep clears the
  'auto' assignments of a worker that went offline; manual ones stay.
task_queue.routing_note: why a ready task is not assigned, e.g. 'budget spent: premium models
  excluded' or 'no online worker has capabilities x,y and tier >= 3'; written by
  assign_ready_tasks, cleared when the task is assigned or claimed.
worker_pool.last_assigned_at: when assign_ready_tasks last gave the worker a task, so that of two
  equal choices the worker assigned least recently gets the next one.
ix_task_events_type: the claims of the last 30 days that vw_model_performance reads.
*/
ALTER TABLE mmos.task_queue ADD COLUMN IF NOT EXISTS preferred_instance_id bigint NULL
    CONSTRAINT fk_task_queue_preferred REFERENCES mmos.model_instances (instance_id);
ALTER TABLE mmos.task_queue ADD COLUMN IF NOT EXISTS assignment_source varchar(10) NULL
    CONSTRAINT ck_task_queue_assignment_source CHECK (assignment_source IN ('manual', 'auto'));
ALTER TABLE mmos.task_queue ADD COLUMN IF NOT EXISTS routing_note varchar(400) NULL;
ALTER TABLE mmos.worker_pool ADD COLUMN IF NOT EXISTS last_assigned_at timestamptz NULL;
-- Assignments made before this migration were the admin's.
UPDATE mmos.task_queue SET assignment_source = 'manual' WHERE assigned_instance_id IS NOT NULL AND assignment_source IS NULL;
CREATE INDEX IF NOT EXISTS ix_task_events_type ON mmos.task_events (event_type, created_at) INCLUDE (tenant_id, task_id, actor);

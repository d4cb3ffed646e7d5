/*
@view vw_DeadLetters
@summary Dead tasks (attempts used up) with their last error and what they hold up.
@description One row per task in status dead, of every tenant; filter on TenantId. DiedAt is the
task's last change. BlockedDependents counts the tasks that depend directly on it and are still
blocked: the work that waits until someone retries or cancels the dead task.
@access WorkSessions -> TaskQueue -> TaskDependencies
*/
CREATE OR REPLACE VIEW mmos.vw_dead_letters AS
SELECT t.tenant_id::text AS tenant_id,
       t.task_id AS task_id,
       t.project_id AS project_id,
       s.project_name::text AS project_name,
       t.task_key::text AS task_key,
       t.title::text AS title,
       t.phase::text AS phase,
       t.attempts AS attempts,
       t.max_attempts AS max_attempts,
       t.last_error::text AS last_error,
       t.updated_at AS died_at,
       dep.blocked_dependents AS blocked_dependents
  FROM mmos.task_queue AS t
  JOIN mmos.work_sessions AS s ON s.project_id = t.project_id
 CROSS JOIN LATERAL (SELECT count(*)::integer AS blocked_dependents
                       FROM mmos.task_dependencies AS d
                       JOIN mmos.task_queue AS b ON b.task_id = d.task_id
                      WHERE d.depends_on_task_id = t.task_id AND b.status = 'blocked') AS dep
 WHERE t.status = 'dead';

/*
@view vw_ProjectProgress
@summary Per project: tasks by status, progress, current phase, tokens and cost so far.
@description One row per project (work session) of every tenant; filter on TenantId.
ProgressPercent = done tasks * 100 / tasks that are not cancelled, rounded down (0 with no tasks).
CurrentPhase is the phase of the earliest-created unfinished task (not done or cancelled) that has
a phase, so a project stuck on a dead task shows where it is stuck; NULL when nothing is left.
TokensIn, TokensOut and CostUsd add up UsageRecords; BudgetUsd is the project's budget, if any.
@access WorkSessions -> TaskQueue -> UsageRecords
*/
CREATE OR REPLACE VIEW mmos.vw_project_progress AS
SELECT s.tenant_id::text AS tenant_id,
       s.project_id AS project_id,
       s.project_name::text AS project_name,
       s.status::text AS project_status,
       c.total_tasks AS total_tasks,
       c.blocked_tasks AS blocked_tasks,
       c.ready_tasks AS ready_tasks,
       c.running_tasks AS running_tasks,
       c.review_tasks AS review_tasks,
       c.retry_wait_tasks AS retry_wait_tasks,
       c.done_tasks AS done_tasks,
       c.dead_tasks AS dead_tasks,
       c.cancelled_tasks AS cancelled_tasks,
       CASE WHEN c.total_tasks - c.cancelled_tasks = 0 THEN 0
            ELSE c.done_tasks * 100 / (c.total_tasks - c.cancelled_tasks) END AS progress_percent,
       ph.phase AS current_phase,
       u.tokens_in AS tokens_in,
       u.tokens_out AS tokens_out,
       u.cost_usd AS cost_usd,
       s.budget_usd AS budget_usd,
       s.created_at AS created_at
  FROM mmos.work_sessions AS s
 CROSS JOIN LATERAL (SELECT count(*)::integer AS total_tasks,
                            count(*) FILTER (WHERE t.status = 'blocked')::integer AS blocked_tasks,
                            count(*) FILTER (WHERE t.status = 'ready')::integer AS ready_tasks,
                            count(*) FILTER (WHERE t.status = 'running')::integer AS running_tasks,
                            count(*) FILTER (WHERE t.status = 'review')::integer AS review_tasks,
                            count(*) FILTER (WHERE t.status = 'retry_wait')::integer AS retry_wait_tasks,
                            count(*) FILTER (WHERE t.status = 'done')::integer AS done_tasks,
                            count(*) FILTER (WHERE t.status = 'dead')::integer AS dead_tasks,
                            count(*) FILTER (WHERE t.status = 'cancelled')::integer AS cancelled_tasks
                       FROM mmos.task_queue AS t
                      WHERE t.project_id = s.project_id) AS c
 CROSS JOIN LATERAL (SELECT coalesce(sum(r.tokens_in), 0)::bigint AS tokens_in,
                            coalesce(sum(r.tokens_out), 0)::bigint AS tokens_out,
                            coalesce(sum(r.cost_usd), 0) AS cost_usd
                       FROM mmos.usage_records AS r
                      WHERE r.project_id = s.project_id) AS u
  LEFT JOIN LATERAL (SELECT t.phase::text AS phase
                       FROM mmos.task_queue AS t
                      WHERE t.project_id = s.project_id AND t.phase IS NOT NULL
                        AND t.status NOT IN ('done', 'cancelled')
                      ORDER BY t.task_id
                      LIMIT 1) AS ph ON true;

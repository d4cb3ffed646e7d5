/*
@procedure ListProjects
@summary List the projects with their task counts and progress, optionally only those in one state.
@description One row per project of the tenant, highest priority first, then oldest first.
ProgressPercent is the share of done tasks among the tasks that still count (all but cancelled
ones), rounded down; 0 for a project without tasks.
@roles admin
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param Status Only projects in this state: active, completed or cancelled (optional).
@access WorkSessions -> TaskQueue
@throws 50400 unknown status
*/
DROP FUNCTION IF EXISTS mmos.list_projects;
CREATE FUNCTION mmos.list_projects(
    p_tenant_id  text,
    p_status     text DEFAULT NULL
)
RETURNS TABLE (
    project_id        bigint,
    project_name      text,
    status            text,
    priority          integer,
    budget_usd        numeric,
    task_count        integer,
    done_count        integer,
    progress_percent  integer,
    created_by        text,
    created_at        timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    p_status := lower(p_status);
    IF p_status NOT IN ('active', 'completed', 'cancelled') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = format('status "%s" is not one of active, completed, cancelled', left(p_status, 50));
    END IF;

    RETURN QUERY
    SELECT ws.project_id, ws.project_name::text, ws.status::text, ws.priority, ws.budget_usd,
           c.task_count, c.done_count,
           CASE WHEN c.task_count - c.cancelled_count = 0 THEN 0 ELSE c.done_count * 100 / (c.task_count - c.cancelled_count) END,
           ws.created_by::text, ws.created_at
      FROM mmos.work_sessions AS ws
     CROSS JOIN LATERAL (SELECT count(*)::integer AS task_count,
                                coalesce(sum(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END), 0)::integer AS done_count,
                                coalesce(sum(CASE WHEN t.status = 'cancelled' THEN 1 ELSE 0 END), 0)::integer AS cancelled_count
                           FROM mmos.task_queue AS t
                          WHERE t.project_id = ws.project_id) AS c
     WHERE ws.tenant_id = p_tenant_id AND (p_status IS NULL OR ws.status = p_status)
     ORDER BY ws.priority DESC, ws.project_id;
END;
$$;

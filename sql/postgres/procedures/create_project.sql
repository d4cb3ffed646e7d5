/*
@procedure CreateProject
@summary Create a project (a work session) that tasks can then be added to.
@description The project starts 'active'. Priority orders projects for people reading the lists
(higher first); BudgetUsd is an optional spending limit in USD that cost reports compare against.
The caller is recorded as the project's creator.
@roles admin
@toolset orchestrator
@writes true
@destructive false
@idempotent false
@param ProjectName Name of the project (1-200 characters).
@param Description What the project is for (up to 20000 characters).
@param Priority Higher numbers come first; default 0.
@param BudgetUsd Optional budget in USD (zero or more).
@access WorkSessions
@throws 50400 empty or oversized name or description, negative budget
*/
DROP FUNCTION IF EXISTS mmos.create_project;
CREATE FUNCTION mmos.create_project(
    p_tenant_id     text,
    p_caller_id     text,
    p_project_name  text,
    p_description   text DEFAULT NULL,
    p_priority      integer DEFAULT 0,
    p_budget_usd    numeric(12,4) DEFAULT NULL
)
RETURNS TABLE (
    project_id    bigint,
    project_name  text,
    description   text,
    status        text,
    priority      integer,
    budget_usd    numeric,
    created_by    text,
    created_at    timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_project_id bigint;
BEGIN
    PERFORM mmos._check_text('caller id', p_caller_id, 100, true);
    PERFORM mmos._check_text('project name', p_project_name, 200, true);
    PERFORM mmos._check_text('description', p_description, 20000, false);
    IF p_budget_usd < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'budget must be zero or more';
    END IF;

    INSERT INTO mmos.work_sessions AS ws (tenant_id, project_name, description, created_by, status, priority, budget_usd)
    VALUES (p_tenant_id, p_project_name, p_description, p_caller_id, 'active', coalesce(p_priority, 0), p_budget_usd)
    RETURNING ws.project_id INTO v_project_id;

    RETURN QUERY
    SELECT ws.project_id, ws.project_name::text, ws.description, ws.status::text, ws.priority, ws.budget_usd,
           ws.created_by::text, ws.created_at
      FROM mmos.work_sessions AS ws
     WHERE ws.project_id = v_project_id;
END;
$$;

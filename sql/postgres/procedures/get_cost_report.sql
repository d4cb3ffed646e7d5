/*
@procedure GetCostReport
@summary A project's cost per model: tokens, actual cost, the cost on the most expensive eligible model, and the saving.
@description One row per model used in the project (the model name its worker registered, else
the model type), in model name order, from the usage recorded for every attempt, completed or
failed: the workers that ran it (WorkerIds, JSON array), the tasks they completed, tokens in and
out, the actual cost, and BaselineCostUsd, what the same tokens would have cost on the most
expensive eligible model for each task: among the registered workers (online or not) with every
capability the task requires and the tier its complexity needs, the prices giving those tokens the
highest cost (never less than the actual cost). SavingUsd = baseline - actual; SavingPercent =
saving / baseline x 100, rounded to 2 decimals (0 when the baseline is 0). Every row repeats the
project's totals (ProjectActualCostUsd, ProjectBaselineCostUsd, ProjectSavingUsd,
ProjectSavingPercent) and its budget: BudgetUsd and BudgetRemainingUsd (budget minus actual cost,
negative once overspent; both empty without a budget). Once the actual cost reaches the budget,
premium models (tier 3) are no longer assigned. A project without recorded usage gives one row
whose model columns are empty and whose figures are zero.
@roles admin
@toolset orchestrator
@writes false
@destructive false
@idempotent true
@param ProjectId The project to report on.
@access ModelInstances -> ModelInstanceCapabilities -> WorkSessions -> TaskQueue -> TaskRequiredCapabilities -> TaskEvents -> UsageRecords
@throws 50404 unknown project
*/
DROP FUNCTION IF EXISTS mmos.get_cost_report;
CREATE FUNCTION mmos.get_cost_report(
    p_tenant_id   text,
    p_project_id  bigint
)
RETURNS TABLE (
    model_name                 text,
    worker_ids                 jsonb,
    tasks_completed            integer,
    tokens_in                  bigint,
    tokens_out                 bigint,
    actual_cost_usd            numeric,
    baseline_cost_usd          numeric,
    saving_usd                 numeric,
    saving_percent             numeric,
    project_actual_cost_usd    numeric,
    project_baseline_cost_usd  numeric,
    project_saving_usd         numeric,
    project_saving_percent     numeric,
    budget_usd                 numeric,
    budget_remaining_usd       numeric
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_found       boolean := false;
    v_budget_usd  numeric(12,4);
BEGIN
    SELECT true, ws.budget_usd INTO v_found, v_budget_usd
      FROM mmos.work_sessions AS ws WHERE ws.project_id = p_project_id AND ws.tenant_id = p_tenant_id;
    IF NOT coalesce(v_found, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('project %s not found', p_project_id);
    END IF;

    RETURN QUERY
    -- Each attempt's usage, and what its tokens would have cost on the most expensive model
    -- eligible for its task (rounded to 6 decimals as _record_usage rounds a computed cost).
    WITH usage AS (
        SELECT u.usage_id, coalesce(u.model_name, mi.model_type)::text AS model_name, mi.worker_id::text AS worker_id,
               u.tokens_in, u.tokens_out, u.cost_usd,
               CASE WHEN b.cost_usd > u.cost_usd THEN b.cost_usd ELSE u.cost_usd END AS baseline_usd
          FROM mmos.usage_records AS u
          JOIN mmos.model_instances AS mi ON mi.instance_id = u.instance_id
          JOIN mmos.task_queue AS t ON t.task_id = u.task_id
          LEFT JOIN LATERAL (
                SELECT max(round((u.tokens_in * e.input_usd_per_million_tokens + u.tokens_out * e.output_usd_per_million_tokens) / 1000000, 6)) AS cost_usd
                  FROM mmos.model_instances AS e
                 WHERE e.tenant_id = t.tenant_id
                   AND e.quality_tier >= CASE t.complexity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END
                   AND NOT EXISTS (SELECT 1 FROM mmos.task_required_capabilities AS rc
                                    WHERE rc.task_id = t.task_id
                                      AND NOT EXISTS (SELECT 1 FROM mmos.model_instance_capabilities AS c
                                                       WHERE c.instance_id = e.instance_id AND c.capability = rc.capability))) AS b ON true
         WHERE u.project_id = p_project_id
    ),
    totals AS (
        SELECT coalesce(sum(x.cost_usd), 0) AS actual, coalesce(sum(x.baseline_usd), 0) AS baseline FROM usage AS x
    ),
    m AS (
        SELECT g.model_name,
               (SELECT jsonb_agg(w.worker_id ORDER BY w.worker_id)
                  FROM (SELECT DISTINCT x.worker_id FROM usage AS x WHERE x.model_name = g.model_name) AS w) AS worker_ids,
               (SELECT count(DISTINCT e.task_id)::integer
                  FROM mmos.task_events AS e
                  JOIN mmos.model_instances AS wi ON wi.tenant_id = e.tenant_id AND wi.worker_id = e.actor
                 WHERE e.project_id = p_project_id AND e.event_type = 'completed'
                   AND coalesce(wi.model_name, wi.model_type) = g.model_name) AS tasks_completed,
               g.tokens_in, g.tokens_out, g.actual_cost_usd, g.baseline_cost_usd
          FROM (SELECT x.model_name, sum(x.tokens_in)::bigint AS tokens_in, sum(x.tokens_out)::bigint AS tokens_out,
                       sum(x.cost_usd) AS actual_cost_usd, sum(x.baseline_usd) AS baseline_cost_usd
                  FROM usage AS x
                 GROUP BY x.model_name) AS g
        UNION ALL
        SELECT NULL, '[]'::jsonb, 0, 0::bigint, 0::bigint, 0::numeric, 0::numeric
         WHERE NOT EXISTS (SELECT 1 FROM usage)
    )
    SELECT m.model_name, m.worker_ids, m.tasks_completed, m.tokens_in, m.tokens_out, m.actual_cost_usd, m.baseline_cost_usd,
           m.baseline_cost_usd - m.actual_cost_usd,
           (CASE WHEN m.baseline_cost_usd > 0 THEN round((m.baseline_cost_usd - m.actual_cost_usd) * 100 / m.baseline_cost_usd, 2) ELSE 0 END)::numeric(7,2),
           tt.actual, tt.baseline, tt.baseline - tt.actual,
           (CASE WHEN tt.baseline > 0 THEN round((tt.baseline - tt.actual) * 100 / tt.baseline, 2) ELSE 0 END)::numeric(7,2),
           v_budget_usd::numeric, v_budget_usd - tt.actual
      FROM m CROSS JOIN totals AS tt
     ORDER BY m.model_name;
END;
$$;

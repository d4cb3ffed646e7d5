/*
@procedure _RecordUsage
@summary Record the tokens and cost of one attempt in UsageRecords.
@description Internal helper of CompleteTask and FailTask. The cost source is 'reported' when the
worker gave a cost, else 'computed' from the instance's prices per million tokens when it gave
token counts, else 'none' (a zero-cost row, so every completion has a usage row).
@internal true
@writes true
@access ModelInstances -> UsageRecords
@throws none
*/
DROP FUNCTION IF EXISTS mmos._record_usage;
CREATE FUNCTION mmos._record_usage(
    p_tenant_id    text,
    p_project_id   bigint,
    p_task_id      bigint,
    p_instance_id  bigint,
    p_tokens_in    bigint,
    p_tokens_out   bigint,
    p_cost_usd     numeric(14,6)
)
RETURNS void
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO mmos.usage_records (tenant_id, project_id, task_id, instance_id, model_name, tokens_in, tokens_out, cost_usd, cost_source)
    SELECT p_tenant_id, p_project_id, p_task_id, mi.instance_id, mi.model_name, coalesce(p_tokens_in, 0), coalesce(p_tokens_out, 0),
           CASE WHEN p_cost_usd IS NOT NULL THEN round(p_cost_usd, 6)
                WHEN p_tokens_in IS NOT NULL OR p_tokens_out IS NOT NULL
                    THEN round((coalesce(p_tokens_in, 0) * mi.input_usd_per_million_tokens
                              + coalesce(p_tokens_out, 0) * mi.output_usd_per_million_tokens) / 1000000, 6)
                ELSE 0 END,
           CASE WHEN p_cost_usd IS NOT NULL THEN 'reported'
                WHEN p_tokens_in IS NOT NULL OR p_tokens_out IS NOT NULL THEN 'computed'
                ELSE 'none' END
      FROM mmos.model_instances AS mi
     WHERE mi.instance_id = p_instance_id;
END;
$$;

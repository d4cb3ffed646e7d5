/*
@procedure RegisterWorker
@summary Register this agent as a worker, or update its registration (idempotent by worker id).
@description Records the worker's model, capabilities, capacity, quality tier and prices and marks
it online. Calling it again with the same worker id updates the row instead of adding one, so a
restarted agent simply re-registers. The worker id is the caller's identity, filled by the server.
@roles worker, admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param InstanceName Display name of the agent instance, e.g. Claude-Worker-1.
@param ModelType Model family: Claude, Gemini, Codex or any other name.
@param ModelName Exact model, e.g. claude-sonnet-4-5 (optional).
@param Capabilities JSON array of capability names, e.g. ["general","coding"].
@param WorkerCapacity How many tasks the worker runs at once (1-64).
@param QualityTier 1 = basic, 2 = standard, 3 = premium.
@param InputUsdPerMillionTokens Price of a million input tokens, in USD.
@param OutputUsdPerMillionTokens Price of a million output tokens, in USD.
@access ModelInstances -> ModelInstanceCapabilities -> WorkerPool
@throws 50400 empty or oversized name, malformed capabilities, capacity or tier out of range, negative price
*/
DROP FUNCTION IF EXISTS mmos.register_worker;
CREATE FUNCTION mmos.register_worker(
    p_tenant_id                      text,
    p_caller_id                      text,
    p_instance_name                  text,
    p_model_type                     text,
    p_model_name                     text DEFAULT NULL,
    p_capabilities                   jsonb DEFAULT '[]',
    p_worker_capacity                integer DEFAULT 1,
    p_quality_tier                   integer DEFAULT 2,
    p_input_usd_per_million_tokens   numeric(12,4) DEFAULT 0,
    p_output_usd_per_million_tokens  numeric(12,4) DEFAULT 0
)
RETURNS TABLE (
    instance_id                    bigint,
    worker_id                      text,
    instance_name                  text,
    model_type                     text,
    model_name                     text,
    status                         text,
    worker_capacity                integer,
    quality_tier                   integer,
    input_usd_per_million_tokens   numeric,
    output_usd_per_million_tokens  numeric,
    capabilities                   jsonb
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    PERFORM mmos._check_text('worker id', p_caller_id, 100, true);
    PERFORM mmos._check_text('instance name', p_instance_name, 200, true);
    PERFORM mmos._check_text('model type', p_model_type, 50, true);
    PERFORM mmos._check_text('model name', p_model_name, 100, false);
    IF p_worker_capacity IS NULL OR p_worker_capacity NOT BETWEEN 1 AND 64 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'worker capacity must be between 1 and 64';
    END IF;
    IF p_quality_tier IS NULL OR p_quality_tier NOT BETWEEN 1 AND 3 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'quality tier must be 1, 2 or 3';
    END IF;
    IF coalesce(p_input_usd_per_million_tokens, -1) < 0 OR coalesce(p_output_usd_per_million_tokens, -1) < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'prices must be zero or more';
    END IF;
    p_capabilities := coalesce(p_capabilities, '[]'::jsonb);
    IF jsonb_typeof(p_capabilities) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'capabilities must be a JSON array of names';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_capabilities) AS c(value)
                WHERE jsonb_typeof(c.value) <> 'string' OR length(c.value #>> '{}') NOT BETWEEN 1 AND 50) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'each capability must be a name of 1 to 50 characters';
    END IF;

    -- ON CONFLICT: a racing registration of the same worker id updates instead of inserting twice.
    INSERT INTO mmos.model_instances AS mi (tenant_id, worker_id, instance_name, model_type, model_name, quality_tier,
                                            input_usd_per_million_tokens, output_usd_per_million_tokens)
    VALUES (p_tenant_id, p_caller_id, p_instance_name, p_model_type, p_model_name, p_quality_tier,
            p_input_usd_per_million_tokens, p_output_usd_per_million_tokens)
    ON CONFLICT ON CONSTRAINT uq_model_instances_tenant_worker DO UPDATE
       SET instance_name = EXCLUDED.instance_name, model_type = EXCLUDED.model_type, model_name = EXCLUDED.model_name,
           quality_tier = EXCLUDED.quality_tier, input_usd_per_million_tokens = EXCLUDED.input_usd_per_million_tokens,
           output_usd_per_million_tokens = EXCLUDED.output_usd_per_million_tokens, last_active = now()
    RETURNING mi.instance_id INTO v_instance_id;

    DELETE FROM mmos.model_instance_capabilities WHERE instance_id = v_instance_id;
    INSERT INTO mmos.model_instance_capabilities (instance_id, capability, tenant_id)
    SELECT DISTINCT v_instance_id, lower(c.value), p_tenant_id FROM jsonb_array_elements_text(p_capabilities) AS c(value);

    INSERT INTO mmos.worker_pool AS wp (instance_id, tenant_id, status, worker_capacity)
    VALUES (v_instance_id, p_tenant_id, 'online', p_worker_capacity)
    ON CONFLICT ON CONSTRAINT pk_worker_pool DO UPDATE
       SET status = 'online', worker_capacity = EXCLUDED.worker_capacity, last_heartbeat_at = now(), offline_at = NULL;

    RETURN QUERY
    SELECT mi.instance_id, mi.worker_id::text, mi.instance_name::text, mi.model_type::text, mi.model_name::text,
           wp.status::text, wp.worker_capacity, mi.quality_tier,
           mi.input_usd_per_million_tokens, mi.output_usd_per_million_tokens,
           coalesce((SELECT jsonb_agg(c.capability ORDER BY c.capability)
                       FROM mmos.model_instance_capabilities AS c WHERE c.instance_id = mi.instance_id), '[]'::jsonb)
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE mi.instance_id = v_instance_id;
END;
$$;

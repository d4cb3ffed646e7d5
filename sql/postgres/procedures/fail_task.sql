/*
@procedure FailTask
@summary Report that an attempt at a running task failed; it is retried later or dead-lettered.
@description Accepted only from the worker holding the task's current lease; anything else is
refused and changes nothing. The error is stored. When the failure is retryable and attempts
remain, the task waits in 'retry_wait' for a back-off of 5 seconds times 2^(attempts - 1), at most
15 minutes (5 s, 10 s, 20 s, ...), after which the retry sweep makes it ready again. Otherwise it
becomes 'dead' (the dead letter state), the worker's failure count goes up, and every task that
depends on it, directly or not, stays blocked with the reason 'dependency <key> failed' until an
admin redrives it. Usage is recorded when tokens or cost are given.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param TaskId The task that failed.
@param LeaseToken The lease token ClaimNextTask returned.
@param Error What went wrong (up to 4000 characters).
@param Retryable False when another attempt cannot succeed (the task is dead-lettered at once).
@param TokensIn Input tokens the attempt used (optional).
@param TokensOut Output tokens the attempt used (optional).
@param CostUsd What the attempt cost in USD, when the agent reports it (optional).
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskDependencies -> TaskEvents -> UsageRecords
@throws 50400 empty or oversized error, negative tokens or cost; 50404 unknown worker or task; 50409 task not running; 50412 stale or foreign lease token
*/
DROP FUNCTION IF EXISTS mmos.fail_task;
CREATE FUNCTION mmos.fail_task(
    p_tenant_id    text,
    p_caller_id    text,
    p_task_id      bigint,
    p_lease_token  uuid,
    p_error        text,
    p_retryable    boolean DEFAULT true,
    p_tokens_in    bigint DEFAULT NULL,
    p_tokens_out   bigint DEFAULT NULL,
    p_cost_usd     numeric(14,6) DEFAULT NULL
)
RETURNS TABLE (
    task_id     bigint,
    status      text,
    attempts    integer,
    not_before  timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    -- Back-off: backoff_base_seconds * 2^(attempts - 1), capped at backoff_cap_seconds (twin: FailTask.sql).
    c_backoff_base_seconds CONSTANT integer := 5;
    c_backoff_cap_seconds  CONSTANT integer := 900;
    v_instance_id    bigint;
    v_project_id     bigint;
    v_attempts       integer;
    v_max_attempts   integer;
    v_delay_seconds  integer;
BEGIN
    PERFORM mmos._check_text('error', p_error, 4000, true);
    IF p_tokens_in < 0 OR p_tokens_out < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'token counts must be zero or more';
    END IF;
    IF p_cost_usd < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'cost must be zero or more';
    END IF;

    SELECT mi.instance_id INTO v_instance_id FROM mmos.model_instances AS mi WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('worker %s not found', p_caller_id);
    END IF;

    UPDATE mmos.worker_pool AS wp SET last_heartbeat_at = now() WHERE wp.instance_id = v_instance_id;
    PERFORM mmos._check_lease(p_tenant_id, p_task_id, v_instance_id, p_lease_token);

    SELECT t.project_id, t.attempts, t.max_attempts INTO v_project_id, v_attempts, v_max_attempts
      FROM mmos.task_queue AS t WHERE t.task_id = p_task_id;

    IF coalesce(p_retryable, true) AND v_attempts < v_max_attempts THEN
        -- 2^(attempts - 1) stays small: past 8 doublings the cap applies anyway.
        v_delay_seconds := CASE WHEN v_attempts > 9 THEN c_backoff_cap_seconds
                                ELSE c_backoff_base_seconds * power(2, v_attempts - 1)::integer END;
        IF v_delay_seconds > c_backoff_cap_seconds THEN
            v_delay_seconds := c_backoff_cap_seconds;
        END IF;
        UPDATE mmos.task_queue AS t
           SET status = 'retry_wait', not_before = now() + make_interval(secs => v_delay_seconds), last_error = p_error,
               claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = now()
         WHERE t.task_id = p_task_id AND t.status = 'running' AND t.lease_token = p_lease_token;
        INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
        VALUES (p_tenant_id, p_task_id, v_project_id, 'retry_scheduled', 'running', 'retry_wait', p_caller_id,
                left(format('retry in %s s after attempt %s of %s: %s', v_delay_seconds, v_attempts, v_max_attempts, p_error), 4000));
    ELSE
        UPDATE mmos.worker_pool AS wp SET tasks_failed = wp.tasks_failed + 1 WHERE wp.instance_id = v_instance_id;
        PERFORM mmos._dead_letter_task(p_task_id, p_caller_id, p_error);
    END IF;

    IF p_tokens_in IS NOT NULL OR p_tokens_out IS NOT NULL OR p_cost_usd IS NOT NULL THEN
        PERFORM mmos._record_usage(p_tenant_id, v_project_id, p_task_id, v_instance_id, p_tokens_in, p_tokens_out, p_cost_usd);
    END IF;

    RETURN QUERY
    SELECT t.task_id, t.status::text, t.attempts, t.not_before
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id;
END;
$$;

/*
@procedure UnregisterWorker
@summary Unregister this worker: mark it offline and give its running tasks back to the queue.
@description For a worker leaving on purpose (its session ends). The worker is the caller, so one
agent cannot unregister another. It becomes offline (the rows stay, for history and cost reports;
nothing is deleted) and each task it is running goes back to ready at once, without counting the
attempt (the claim counted one, so it is taken back), with a 'released' event; its lease token
stops being valid. Unregistering again changes nothing. A worker comes back with Heartbeat or by
registering again. An admin removes another worker with DrainWorker: the worker finishes its
tasks, and once its heartbeats stop the offline sweep takes it offline.
@roles worker
@toolset workers
@writes true
@destructive true
@idempotent true
@access ModelInstances -> WorkerPool -> TaskQueue -> TaskEvents
@throws 50404 unknown worker
*/
DROP FUNCTION IF EXISTS mmos.unregister_worker;
CREATE FUNCTION mmos.unregister_worker(
    p_tenant_id  text,
    p_caller_id  text
)
RETURNS TABLE (
    worker_id       text,
    status          text,
    offline_at      timestamptz,
    released_tasks  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
    v_released integer;
BEGIN
    -- Worker rows are never deleted, so the lookup stays true for the rest of the call.
    SELECT mi.instance_id INTO v_instance_id
      FROM mmos.model_instances AS mi
     WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('worker ', p_caller_id, ' not found');
    END IF;

    UPDATE mmos.model_instances SET last_active = now() WHERE instance_id = v_instance_id;

    UPDATE mmos.worker_pool
       SET status = 'offline', offline_at = coalesce(offline_at, now())
     WHERE instance_id = v_instance_id;

    -- UPDATE re-checks the WHERE on the latest row version after waiting for a lock, so a task the
    -- worker is completing right now is either released or completed, never both.
    WITH released AS (
        UPDATE mmos.task_queue
           SET status = 'ready', claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL,
               started_at = NULL, progress_percent = NULL, progress_note = NULL,
               attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
               not_before = now(), updated_at = now()
         WHERE tenant_id = p_tenant_id AND claimed_by_instance_id = v_instance_id AND status = 'running'
        RETURNING task_id, project_id
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT p_tenant_id, r.task_id, r.project_id, 'released', 'running', 'ready', p_caller_id,
           'worker unregistered; the attempt is not counted'
      FROM released AS r;
    GET DIAGNOSTICS v_released = ROW_COUNT;

    RETURN QUERY
    SELECT mi.worker_id::text,
           wp.status::text,
           wp.offline_at,
           v_released
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE mi.instance_id = v_instance_id;
END;
$$;

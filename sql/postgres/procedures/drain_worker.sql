/*
@procedure DrainWorker
@summary Drain a worker: it finishes its running tasks but claims nothing new.
@description Marks the worker draining. Its running tasks keep their leases and may be completed,
but ClaimNextTask gives a draining worker nothing new. Draining a draining worker changes nothing.
To remove a worker for good, drain it: once it has finished and its agent stops sending heartbeats,
the offline sweep takes it offline. Heartbeats keep it draining; it takes work again only after
registering again (RegisterWorker). RunningTasks says how much it still has to finish.
@roles admin
@toolset workers
@writes true
@destructive false
@idempotent true
@param WorkerId The worker to drain.
@access WorkerPool
@throws 50404 unknown worker; 50409 worker is offline
*/
DROP FUNCTION IF EXISTS mmos.drain_worker;
CREATE FUNCTION mmos.drain_worker(
    p_tenant_id  text,
    p_caller_id  text,
    p_worker_id  text
)
RETURNS TABLE (
    worker_id      text,
    status         text,
    running_tasks  integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    PERFORM mmos._check_text('worker id', p_worker_id, 100, true);
    SELECT mi.instance_id INTO v_instance_id
      FROM mmos.model_instances AS mi
     WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_worker_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('worker ', p_worker_id, ' not found');
    END IF;

    -- The state check sits in the WHERE of the one write, so a racing sweep cannot slip between them.
    UPDATE mmos.worker_pool
       SET status = 'draining'
     WHERE instance_id = v_instance_id AND status IN ('online', 'draining');
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = concat('worker ', p_worker_id, ' is offline');
    END IF;

    RETURN QUERY
    SELECT mi.worker_id::text,
           wp.status::text,
           (SELECT count(*)::integer FROM mmos.task_queue AS t
             WHERE t.claimed_by_instance_id = mi.instance_id AND t.status = 'running')
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE mi.instance_id = v_instance_id;
END;
$$;

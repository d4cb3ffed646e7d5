/*
@procedure Heartbeat
@summary Tell the system this worker is alive; returns its status, running tasks and unread messages.
@description Refreshes the worker's heartbeat and last-active time. A worker that the sweep marked
offline becomes online again, since it is evidently alive; a draining worker stays draining (only
RegisterWorker makes it online again). Safe to repeat. The worker is the caller, filled by the server.
UnreadMessages counts what ReadMessages would return: direct messages, broadcasts of projects in
which the worker has or had a task, and tenant-wide broadcasts, not yet read by this worker.
@roles worker
@toolset workers
@writes true
@destructive false
@idempotent true
@access ModelInstances -> WorkerPool
@throws 50404 unknown worker
*/
DROP FUNCTION IF EXISTS mmos.heartbeat;
CREATE FUNCTION mmos.heartbeat(
    p_tenant_id  text,
    p_caller_id  text
)
RETURNS TABLE (
    worker_id          text,
    status             text,
    last_heartbeat_at  timestamptz,
    running_tasks      integer,
    unread_messages    integer
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    -- Worker rows are never deleted, so the lookup stays true for the rest of the call.
    SELECT mi.instance_id INTO v_instance_id
      FROM mmos.model_instances AS mi
     WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('worker ', p_caller_id, ' not found');
    END IF;

    UPDATE mmos.model_instances SET last_active = now() WHERE instance_id = v_instance_id;

    -- Right-hand sides read the row before the update, so offline_at follows the old status.
    UPDATE mmos.worker_pool
       SET last_heartbeat_at = now(),
           status = CASE WHEN status = 'offline' THEN 'online' ELSE status END,
           offline_at = CASE WHEN status = 'offline' THEN NULL ELSE offline_at END
     WHERE instance_id = v_instance_id;

    RETURN QUERY
    SELECT mi.worker_id::text,
           wp.status::text,
           wp.last_heartbeat_at,
           (SELECT count(*)::integer FROM mmos.task_queue AS t
             WHERE t.claimed_by_instance_id = mi.instance_id AND t.status = 'running'),
           (SELECT count(*)::integer FROM mmos.inter_worker_messages AS m
             WHERE m.tenant_id = p_tenant_id
               AND (m.to_instance_id = mi.instance_id
                    OR (m.to_instance_id IS NULL AND m.from_id <> mi.worker_id
                        AND (m.project_id IS NULL
                             OR EXISTS (SELECT 1 FROM mmos.task_queue AS t
                                         WHERE t.project_id = m.project_id
                                           AND (t.claimed_by_instance_id = mi.instance_id OR t.assigned_instance_id = mi.instance_id))
                             OR EXISTS (SELECT 1 FROM mmos.task_events AS e
                                         WHERE e.tenant_id = p_tenant_id AND e.actor = mi.worker_id AND e.project_id = m.project_id))))
               AND NOT EXISTS (SELECT 1 FROM mmos.message_reads AS r
                                WHERE r.instance_id = mi.instance_id AND r.message_id = m.message_id))
      FROM mmos.model_instances AS mi
      JOIN mmos.worker_pool AS wp ON wp.instance_id = mi.instance_id
     WHERE mi.instance_id = v_instance_id;
END;
$$;

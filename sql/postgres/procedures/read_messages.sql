/*
@procedure ReadMessages
@summary Read this worker's unread messages, oldest first, and mark them read.
@description Returns up to MaxMessages messages the caller has not read yet: messages sent to it,
broadcasts of projects in which it has or had a task (claimed, assigned, or any task event it
made), and tenant-wide broadcasts; its own broadcasts are not echoed back. They are marked read
in the same call, so each message reaches each worker once, even when two calls race. Call it
again for more when MaxMessages were returned. The worker is the caller.
@roles worker
@toolset executor
@writes true
@destructive false
@idempotent false
@param MaxMessages The most messages to return (1-500).
@access ModelInstances -> TaskQueue -> TaskEvents -> InterWorkerMessages -> MessageReads
@throws 50400 max messages out of range; 50404 the caller is not a registered worker
*/
DROP FUNCTION IF EXISTS mmos.read_messages;
CREATE FUNCTION mmos.read_messages(
    p_tenant_id     text,
    p_caller_id     text,
    p_max_messages  integer DEFAULT 50
)
RETURNS TABLE (
    message_id    bigint,
    from_id       text,
    project_id    bigint,
    message_type  text,
    content       text,
    created_at    timestamptz,
    is_broadcast  boolean
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_instance_id bigint;
BEGIN
    IF p_max_messages IS NULL OR p_max_messages NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = 'max messages must be between 1 and 500';
    END IF;
    SELECT mi.instance_id INTO v_instance_id
      FROM mmos.model_instances AS mi
     WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_caller_id;
    IF v_instance_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('worker ', p_caller_id, ' not found');
    END IF;

    -- ON CONFLICT DO NOTHING waits for a racing call by the same worker and skips what it marked,
    -- and RETURNING gives only the rows this call marked, so no message is returned twice.
    RETURN QUERY
    WITH picked AS (
        SELECT m.message_id
          FROM mmos.inter_worker_messages AS m
         WHERE m.tenant_id = p_tenant_id
           AND (m.to_instance_id = v_instance_id
                OR (m.to_instance_id IS NULL AND m.from_id <> p_caller_id
                    AND (m.project_id IS NULL
                         OR EXISTS (SELECT 1 FROM mmos.task_queue AS t
                                     WHERE t.project_id = m.project_id
                                       AND (t.claimed_by_instance_id = v_instance_id OR t.assigned_instance_id = v_instance_id))
                         OR EXISTS (SELECT 1 FROM mmos.task_events AS e
                                     WHERE e.tenant_id = p_tenant_id AND e.actor = p_caller_id AND e.project_id = m.project_id))))
           AND NOT EXISTS (SELECT 1 FROM mmos.message_reads AS r
                            WHERE r.instance_id = v_instance_id AND r.message_id = m.message_id)
         ORDER BY m.created_at, m.message_id
         LIMIT p_max_messages
    ), marked AS (
        INSERT INTO mmos.message_reads AS r (message_id, instance_id, tenant_id)
        SELECT p.message_id, v_instance_id, p_tenant_id FROM picked AS p
        ON CONFLICT ON CONSTRAINT pk_message_reads DO NOTHING
        RETURNING r.message_id
    )
    SELECT m.message_id,
           m.from_id::text,
           m.project_id,
           m.message_type::text,
           m.content,
           m.created_at,
           m.to_instance_id IS NULL
      FROM mmos.inter_worker_messages AS m
      JOIN marked AS k ON k.message_id = m.message_id
     ORDER BY m.created_at, m.message_id;
END;
$$;

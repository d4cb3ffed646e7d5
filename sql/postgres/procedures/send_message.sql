/*
@procedure SendMessage
@summary Send a message to one worker, or broadcast it to everyone working on a project.
@description With ToWorkerId, the message goes to that worker (ProjectId, when given, tags it with
a project). Without ToWorkerId, it is a broadcast to the project named by ProjectId: every worker
that has or had a task in that project reads it once with ReadMessages. The sender is the caller.
MessageType is one of info, question, answer, handoff, warning (case-insensitive, stored lower case).
@roles worker, admin
@toolset executor
@writes true
@destructive false
@idempotent false
@param Content The message text (1-20000 characters).
@param ToWorkerId The worker to message; omit to broadcast to the project.
@param ProjectId The project to broadcast to (required without ToWorkerId), or the project a direct message is about.
@param MessageType info, question, answer, handoff or warning.
@access ModelInstances -> WorkSessions -> InterWorkerMessages
@throws 50400 empty or oversized content, unknown message type, neither worker nor project given; 50404 unknown worker or project
*/
DROP FUNCTION IF EXISTS mmos.send_message;
CREATE FUNCTION mmos.send_message(
    p_tenant_id     text,
    p_caller_id     text,
    p_content       text,
    p_to_worker_id  text DEFAULT NULL,
    p_project_id    bigint DEFAULT NULL,
    p_message_type  text DEFAULT 'info'
)
RETURNS TABLE (
    message_id  bigint,
    created_at  timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = mmos, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_to_instance_id bigint;
BEGIN
    PERFORM mmos._check_text('content', p_content, 20000, true);
    IF p_message_type IS NULL OR lower(p_message_type) NOT IN ('info', 'question', 'answer', 'handoff', 'warning') THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400',
            MESSAGE = concat('unknown message type ''', p_message_type, ''': use info, question, answer, handoff or warning');
    END IF;
    IF p_to_worker_id IS NULL AND p_project_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400',
            MESSAGE = 'give a worker to message (ToWorkerId) or a project to broadcast to (ProjectId)';
    END IF;

    IF p_to_worker_id IS NOT NULL THEN
        SELECT mi.instance_id INTO v_to_instance_id
          FROM mmos.model_instances AS mi
         WHERE mi.tenant_id = p_tenant_id AND mi.worker_id = p_to_worker_id;
        IF v_to_instance_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('worker ', p_to_worker_id, ' not found');
        END IF;
    END IF;
    IF p_project_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM mmos.work_sessions AS s WHERE s.project_id = p_project_id AND s.tenant_id = p_tenant_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = concat('project ', p_project_id, ' not found');
    END IF;

    RETURN QUERY
    INSERT INTO mmos.inter_worker_messages AS m (tenant_id, project_id, from_id, to_instance_id, message_type, content)
    VALUES (p_tenant_id, p_project_id, p_caller_id, v_to_instance_id, lower(p_message_type), p_content)
    RETURNING m.message_id, m.created_at;
END;
$$;

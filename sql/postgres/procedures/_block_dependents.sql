/*
@procedure _BlockDependents
@summary Mark every transitive dependent of a dead task as blocked by that failure.
@description Internal helper of _DeadLetterTask and RedriveTask. Walks TaskDependencies from the
dead task level by level (each dependent once, however many paths lead to it) and gives every
dependent still 'blocked' without a reason BlockedReason = 'dependency <key> failed', with a
'blocked_by_failure' event. A dependent already blocked by another failure keeps its first reason
(RedriveTask re-applies the others when it clears one). Returns the number of dependents marked.
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
DROP FUNCTION IF EXISTS mmos._block_dependents;
CREATE FUNCTION mmos._block_dependents(
    p_task_id  bigint,
    p_actor    text
)
RETURNS integer
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
DECLARE
    v_reason   text;
    v_marked   bigint[];
    v_blocked  integer;
BEGIN
    SELECT left(format('dependency %s failed', t.task_key), 400) INTO v_reason FROM mmos.task_queue AS t WHERE t.task_id = p_task_id;

    -- UNION (not UNION ALL) visits each dependent once however many paths lead to it.
    WITH RECURSIVE dependents (task_id) AS (
        SELECT td.task_id FROM mmos.task_dependencies AS td WHERE td.depends_on_task_id = p_task_id
        UNION
        SELECT td.task_id FROM mmos.task_dependencies AS td JOIN dependents AS d ON td.depends_on_task_id = d.task_id
    ),
    locked AS (
        SELECT t.task_id
          FROM mmos.task_queue AS t
         WHERE t.task_id IN (SELECT d.task_id FROM dependents AS d)
         ORDER BY t.task_id
           FOR UPDATE
    )
    SELECT coalesce(array_agg(l.task_id), '{}') INTO v_marked FROM locked AS l;

    WITH marked AS (
        UPDATE mmos.task_queue AS t
           SET blocked_reason = v_reason, updated_at = now()
         WHERE t.task_id = ANY (v_marked) AND t.status = 'blocked' AND t.blocked_reason IS NULL
        RETURNING t.task_id, t.tenant_id, t.project_id
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT m.tenant_id, m.task_id, m.project_id, 'blocked_by_failure', 'blocked', 'blocked', p_actor, v_reason
      FROM marked AS m
     ORDER BY m.task_id;
    GET DIAGNOSTICS v_blocked = ROW_COUNT;
    RETURN v_blocked;
END;
$$;

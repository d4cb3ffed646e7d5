/*
@procedure _UnblockDependents
@summary Count a finished task off its direct dependents and make ready those with nothing left to wait for.
@description Internal helper of CompleteTask (and of review approval): decrements UnmetDependencies
of the task's direct dependents through IX_TaskDependencies_DependsOn, so the cost grows with the
number of dependents, not with the queue. A dependent reaching zero goes from 'blocked' to 'ready'
with an 'unblocked' event, unless a failed dependency elsewhere still blocks it (BlockedReason set).
Dependents are locked in TaskId order (nested loops from the index), the order every writer of
dependents uses. Returns the number of dependents made ready (RETURN value / function result).
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
DROP FUNCTION IF EXISTS mmos._unblock_dependents;
CREATE FUNCTION mmos._unblock_dependents(
    p_task_id  bigint,
    p_actor    text
)
RETURNS integer
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
DECLARE
    v_unblocked integer;
    v_ready     bigint[];
BEGIN
    -- Lock the dependents in TaskId order first (ORDER BY before FOR UPDATE locks in that order), so
    -- two completions sharing dependents never wait on each other in a cycle.
    PERFORM 1
       FROM mmos.task_queue AS t
      WHERE t.task_id IN (SELECT td.task_id FROM mmos.task_dependencies AS td WHERE td.depends_on_task_id = p_task_id)
      ORDER BY t.task_id
        FOR UPDATE;

    -- Which dependents this completion makes ready, read under the locks just taken.
    SELECT coalesce(array_agg(t.task_id), '{}')
      INTO v_ready
      FROM mmos.task_dependencies AS td
      JOIN mmos.task_queue AS t ON t.task_id = td.task_id
     WHERE td.depends_on_task_id = p_task_id
       AND t.unmet_dependencies = 1 AND t.status = 'blocked' AND t.blocked_reason IS NULL;

    UPDATE mmos.task_queue AS t
       SET unmet_dependencies = t.unmet_dependencies - 1,
           status = CASE WHEN t.task_id = ANY (v_ready) THEN 'ready' ELSE t.status END,
           updated_at = now()
      FROM mmos.task_dependencies AS td
     WHERE td.depends_on_task_id = p_task_id AND t.task_id = td.task_id AND t.unmet_dependencies > 0;

    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT t.tenant_id, t.task_id, t.project_id, 'unblocked', 'blocked', 'ready', p_actor, format('dependency %s done', p_task_id)
      FROM mmos.task_queue AS t
     WHERE t.task_id = ANY (v_ready)
     ORDER BY t.task_id;
    GET DIAGNOSTICS v_unblocked = ROW_COUNT;
    RETURN v_unblocked;
END;
$$;

/*
@procedure _LockDependents
@summary Lock every transitive dependent of a set of tasks, in TaskId order, before blocking them set by set.
@description Internal helper of SweepExpiredLeases and SweepOfflineWorkers, which dead-letter several
tasks in one transaction, and of RedriveTask, which re-blocks the dependents of several dead tasks.
_BlockDependents locks one dead task's dependents at a time, each set in TaskId order; across two
sets that order breaks (the second may hold lower ids), and a completion unblocking the same
dependents in TaskId order could then wait on the caller while the caller waits on it: a deadlock.
Locking the union of all the sets first, in TaskId order, keeps the one order every writer of
dependents uses. TaskIds is a JSON array of task ids, e.g. [12,40]. Returns the number of
dependents locked.
@internal true
@writes false
@access TaskQueue -> TaskDependencies
@throws none
*/
DROP FUNCTION IF EXISTS mmos._lock_dependents;
CREATE FUNCTION mmos._lock_dependents(
    p_task_ids  text
)
RETURNS integer
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
DECLARE
    v_locked integer;
BEGIN
    -- UNION (not UNION ALL) visits each dependent once however many paths lead to it; ORDER BY
    -- before FOR UPDATE takes the row locks in that order.
    WITH RECURSIVE dependents (task_id) AS (
        SELECT td.task_id
          FROM jsonb_array_elements_text(coalesce(p_task_ids, '[]')::jsonb) AS s (task_id)
          JOIN mmos.task_dependencies AS td ON td.depends_on_task_id = s.task_id::bigint
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
    SELECT count(*) INTO v_locked FROM locked;
    RETURN v_locked;
END;
$$;

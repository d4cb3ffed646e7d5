/*
@procedure _DeadLetterTask
@summary Move a task to the dead letter state and block its transitive dependents with a reason.
@description Internal helper of FailTask, SweepExpiredLeases and SweepOfflineWorkers, used when a
task has used its last attempt or failed for good. Clears its lease, stores the error, writes a
'dead_lettered' event and marks every transitive dependent 'dependency <key> failed'
(_BlockDependents). The caller holds the task row locked. Returns the number of dependents blocked.
@internal true
@writes true
@access TaskQueue -> TaskDependencies -> TaskEvents
@throws none
*/
DROP FUNCTION IF EXISTS mmos._dead_letter_task;
CREATE FUNCTION mmos._dead_letter_task(
    p_task_id  bigint,
    p_actor    text,
    p_error    text
)
RETURNS integer
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
BEGIN
    WITH old AS (
        SELECT t.task_id, t.status FROM mmos.task_queue AS t
         WHERE t.task_id = p_task_id AND t.status NOT IN ('dead', 'done', 'cancelled')
           FOR UPDATE
    ),
    dead AS (
        UPDATE mmos.task_queue AS t
           SET status = 'dead', claimed_by_instance_id = NULL, lease_token = NULL, lease_expires_at = NULL,
               last_error = coalesce(p_error, t.last_error), updated_at = now()
          FROM old
         WHERE t.task_id = old.task_id
        RETURNING t.task_id, t.tenant_id, t.project_id, old.status AS old_status
    )
    INSERT INTO mmos.task_events (tenant_id, task_id, project_id, event_type, from_status, to_status, actor, detail)
    SELECT d.tenant_id, d.task_id, d.project_id, 'dead_lettered', d.old_status, 'dead', p_actor, p_error FROM dead AS d;

    RETURN mmos._block_dependents(p_task_id, p_actor);
END;
$$;

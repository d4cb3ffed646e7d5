/*
@procedure _CheckLease
@summary Lock a task row and refuse unless it is running under this worker's current lease.
@description Internal helper of ReportProgress, CompleteTask, FailTask and ReleaseTask, so every
lease refusal reads the same. Called inside the caller's transaction after the caller has locked
its own WorkerPool row (table access order); the task row stays locked until the caller commits.
Checks in this order: unknown task (50404), task not running (50409), task running under another
worker or under a newer lease (50412).
@internal true
@writes false
@access TaskQueue
@throws 50404 task not found; 50409 task not running; 50412 stale or foreign lease token
*/
DROP FUNCTION IF EXISTS mmos._check_lease;
CREATE FUNCTION mmos._check_lease(
    p_tenant_id    text,
    p_task_id      bigint,
    p_instance_id  bigint,
    p_lease_token  uuid
)
RETURNS void
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
DECLARE
    v_status        text;
    v_claimed_by    bigint;
    v_current_token uuid;
BEGIN
    SELECT t.status, t.claimed_by_instance_id, t.lease_token
      INTO v_status, v_claimed_by, v_current_token
      FROM mmos.task_queue AS t
     WHERE t.task_id = p_task_id AND t.tenant_id = p_tenant_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = format('task %s not found', p_task_id);
    END IF;
    IF v_status <> 'running' THEN
        RAISE EXCEPTION USING ERRCODE = 'MM409', MESSAGE = format('task %s is %s, not running', p_task_id, v_status);
    END IF;
    IF v_claimed_by IS NULL OR v_claimed_by <> p_instance_id THEN
        RAISE EXCEPTION USING ERRCODE = 'MM412', MESSAGE = format('task %s is leased to another worker', p_task_id);
    END IF;
    IF p_lease_token IS NULL OR v_current_token IS NULL OR v_current_token <> p_lease_token THEN
        RAISE EXCEPTION USING ERRCODE = 'MM412', MESSAGE = format('lease token for task %s is stale: the task was claimed again since', p_task_id);
    END IF;
END;
$$;

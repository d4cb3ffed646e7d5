/*
@procedure _EstimateComplexity
@summary Give each new task of a project that has no complexity one estimated from its type and description.
@description Internal helper of AddTasks, called inside its transaction for the tasks it just added
(TaskId >= FromTaskId in the project, which AddTasks holds locked). A complexity the admin gave is
never changed. Deterministic rules, the first that matches wins; "text" is the title and the
description, compared case-insensitively; "length" is the description's length in characters:
research, docs: low.
planning, review, testing, admin: medium.
coding: high when the length is over 1500 or the text names a hard subject (authentication,
security, concurrency, migration, architecture, distributed, payment); otherwise medium.
general: low when the length is 500 or less (or there is no description); otherwise medium.
The tier a task needs follows from it: low 1, medium 2, high 3 (ClaimNextTask, AssignReadyTasks).
Returns the number of tasks estimated (RETURN value / function result).
@internal true
@writes true
@access TaskQueue
@throws none
*/
DROP FUNCTION IF EXISTS mmos._estimate_complexity;
CREATE FUNCTION mmos._estimate_complexity(
    p_project_id    bigint,
    p_from_task_id  bigint
)
RETURNS integer
LANGUAGE plpgsql SET search_path = mmos, pg_catalog, pg_temp
AS $$
DECLARE
    v_estimated integer;
BEGIN
    -- Lengths without trailing spaces, as the twin's LEN measures them.
    UPDATE mmos.task_queue AS t
       SET complexity = CASE WHEN t.task_type IN ('research', 'docs') THEN 'low'
                             WHEN t.task_type IN ('planning', 'review', 'testing', 'admin') THEN 'medium'
                             WHEN t.task_type = 'coding'
                                  AND (length(rtrim(coalesce(t.description, ''), ' ')) > 1500
                                       OR EXISTS (SELECT 1
                                                    FROM (VALUES ('authentication'), ('security'), ('concurrency'), ('migration'),
                                                                 ('architecture'), ('distributed'), ('payment')) AS s(subject)
                                                   WHERE lower(concat(t.title, ' ', t.description)) LIKE '%' || s.subject || '%'))
                                 THEN 'high'
                             WHEN t.task_type = 'coding' THEN 'medium'
                             WHEN length(rtrim(coalesce(t.description, ''), ' ')) <= 500 THEN 'low'
                             ELSE 'medium' END
     WHERE t.project_id = p_project_id AND t.task_id >= p_from_task_id AND t.complexity IS NULL;
    GET DIAGNOSTICS v_estimated = ROW_COUNT;
    RETURN v_estimated;
END;
$$;

/*
@procedure _CheckText
@summary Refuse an empty (when required) or oversized text argument with error 50400 naming it.
@description Internal helper shared by the procedures so every length refusal reads the same.
SQL Server silently truncates a value longer than an NVARCHAR(n) parameter, so the engine layer
(db/mssql-engine.ts) also refuses over-long arguments before the call, with the same message.
@internal true
@writes false
@access none
@throws 50400 empty or oversized text
*/
DROP FUNCTION IF EXISTS mmos._check_text;
CREATE FUNCTION mmos._check_text(p_label text, p_value text, p_max_length integer, p_required boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = mmos, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_required AND (p_value IS NULL OR length(p_value) = 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400', MESSAGE = p_label || ' is empty';
    END IF;
    IF p_value IS NOT NULL AND length(p_value) > p_max_length THEN
        RAISE EXCEPTION USING ERRCODE = 'MM400',
            MESSAGE = format('%s is longer than %s characters (%s given)', p_label, p_max_length, length(p_value));
    END IF;
END;
$$;

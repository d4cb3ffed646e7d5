/*
Database roles (PostgreSQL twin of sql/security/roles.sql). The server runs each call under the
caller's role (SET LOCAL ROLE), so the database refuses what the role may not do even if the
server were wrong. Procedures are SECURITY DEFINER: roles get EXECUTE on procedures (granted by
deploy from each header's @roles) and the reader gets SELECT on the views, never table access.
Roles are cluster-wide in PostgreSQL, so creation tolerates a concurrent deploy in another database.
*/
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['mmos_admin', 'mmos_worker', 'mmos_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA mmos TO mmos_admin, mmos_worker, mmos_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA mmos FROM mmos_admin, mmos_worker, mmos_reader;

/*
Database roles. The server runs each call as a user of the caller's role (EXECUTE AS USER), so the
database refuses what the role may not do even if the server were wrong. Procedures and tables
share the owner dbo, so EXECUTE on a procedure is enough (ownership chaining); roles get no table
access. EXECUTE is granted by deploy from each procedure header's @roles; the reader gets SELECT on
the views only. Safe to re-run.
*/
IF DATABASE_PRINCIPAL_ID(N'mmos_admin') IS NULL CREATE ROLE mmos_admin AUTHORIZATION dbo;
IF DATABASE_PRINCIPAL_ID(N'mmos_worker') IS NULL CREATE ROLE mmos_worker AUTHORIZATION dbo;
IF DATABASE_PRINCIPAL_ID(N'mmos_reader') IS NULL CREATE ROLE mmos_reader AUTHORIZATION dbo;
GO
-- Users without login, one per role, for EXECUTE AS USER from the server's single login.
IF DATABASE_PRINCIPAL_ID(N'mmos_admin_user') IS NULL CREATE USER mmos_admin_user WITHOUT LOGIN WITH DEFAULT_SCHEMA = mmos;
IF DATABASE_PRINCIPAL_ID(N'mmos_worker_user') IS NULL CREATE USER mmos_worker_user WITHOUT LOGIN WITH DEFAULT_SCHEMA = mmos;
IF DATABASE_PRINCIPAL_ID(N'mmos_reader_user') IS NULL CREATE USER mmos_reader_user WITHOUT LOGIN WITH DEFAULT_SCHEMA = mmos;
GO
IF IS_ROLEMEMBER(N'mmos_admin', N'mmos_admin_user') = 0 ALTER ROLE mmos_admin ADD MEMBER mmos_admin_user;
IF IS_ROLEMEMBER(N'mmos_worker', N'mmos_worker_user') = 0 ALTER ROLE mmos_worker ADD MEMBER mmos_worker_user;
IF IS_ROLEMEMBER(N'mmos_reader', N'mmos_reader_user') = 0 ALTER ROLE mmos_reader ADD MEMBER mmos_reader_user;
GO

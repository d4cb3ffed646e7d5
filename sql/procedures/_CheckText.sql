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
CREATE OR ALTER PROCEDURE mmos._CheckText
    @Label      NVARCHAR(100),
    @Value      NVARCHAR(MAX),
    @MaxLength  INT,
    @Required   BIT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    -- LEN leaves out trailing spaces; PostgreSQL's length() counts them, so count them here too.
    DECLARE @Message NVARCHAR(400), @Length BIGINT = LEN(@Value + N'.') - 1;
    IF @Required = 1 AND (@Value IS NULL OR @Length = 0)
    BEGIN
        SET @Message = @Label + N' is empty';
        THROW 50400, @Message, 1;
    END
    IF @Value IS NOT NULL AND @Length > @MaxLength
    BEGIN
        SET @Message = CONCAT(@Label, N' is longer than ', @MaxLength, N' characters (', @Length, N' given)');
        THROW 50400, @Message, 1;
    END
END;
GO

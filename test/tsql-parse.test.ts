import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQL_ROOT } from '../db/sql-files.js';
import { parseTsqlBatches, tsqlResultColumns } from './support/tsql-grammar.js';

/**
 * Every T-SQL file (all of sql/ except sql/postgres) parses with the real T-SQL grammar, batch by
 * batch as the GO lines split it: the only check T-SQL gets on a machine without SQL Server.
 * Parsing costs about a second per file, so each file is parsed once, in its own test.
 */
function tsqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return path === join(SQL_ROOT, 'postgres') ? [] : tsqlFiles(path);
      return name.endsWith('.sql') ? [path] : [];
    });
}

const files = tsqlFiles(SQL_ROOT);
const PARSE_TIMEOUT_MS = 60_000;

describe('T-SQL files parse with the T-SQL grammar', () => {
  it('finds the T-SQL files', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((f) => f.includes(`${join('sql', 'postgres')}`))).toBe(false);
  });

  for (const path of files) {
    const name = relative(join(SQL_ROOT, '..'), path);
    it(name, () => {
      const batches = parseTsqlBatches(readFileSync(path, 'utf8'));
      // ANTLR lists every token it expected; the first 200 characters say enough.
      const short = (m: string) => (m.length > 200 ? `${m.slice(0, 200)}...` : m);
      const errors = batches.flatMap((b) => b.errors.map((e) => `${name}:${e.line}:${e.column + 1}: ${short(e.message)}`));
      expect(errors, errors.join('\n')).toEqual([]);
    }, PARSE_TIMEOUT_MS);
  }
});

describe('tsqlResultColumns', () => {
  it('reads the result columns of RegisterWorker from its last top-level SELECT', () => {
    const text = readFileSync(join(SQL_ROOT, 'procedures', 'RegisterWorker.sql'), 'utf8');
    expect(tsqlResultColumns(text)).toEqual([
      'InstanceId', 'WorkerId', 'InstanceName', 'ModelType', 'ModelName', 'Status',
      'WorkerCapacity', 'QualityTier', 'InputUsdPerMillionTokens', 'OutputUsdPerMillionTokens', 'Capabilities',
    ]);
  }, PARSE_TIMEOUT_MS);

  it('ignores subqueries, variable assignments and earlier selects; takes aliases, bare columns and Name = expr', () => {
    const text = `CREATE OR ALTER PROCEDURE mmos.Example @A INT AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @X INT;
    SELECT e.Early AS Early FROM mmos.T AS e;
    SELECT @X = COUNT(*) FROM mmos.T;
    IF @A = 1 SELECT 1 AS Nested;
    SELECT t.TaskId, [Title], Total = (SELECT COUNT(*) AS Inner1 FROM mmos.T AS i), N'x' AS 'Literal'
      FROM mmos.T AS t
     WHERE t.TaskId IN (SELECT d.TaskId AS NotAColumn FROM mmos.D AS d);
END;
GO
`;
    expect(tsqlResultColumns(text)).toEqual(['TaskId', 'Title', 'Total', 'Literal']);
  }, PARSE_TIMEOUT_MS);
});

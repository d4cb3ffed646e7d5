import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../db/types.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import { parseHeader, readSqlFiles, sqlDir } from '../db/sql-files.js';
import { pascalToSnake, pgParamName, snakeToPascal } from '../db/names.js';
import { describePgFunctions, type PgFunction } from '../codegen/pg-catalog.js';
import { normalizeDefault, readTsqlProcedure } from '../codegen/tsql-signature.js';
import { logicalFromPg, logicalFromTsql } from '../codegen/types.js';
import { tsqlResultColumns } from './support/tsql-grammar.js';

/**
 * The twins: every procedure and view exists on both sides with the same name, the same header,
 * the same parameters (name, type, default, output) and the same result columns, in order.
 * T-SQL is read from its text (parameters) and its parse tree (result columns); PostgreSQL from
 * its catalog after a real deploy.
 */
const tsqlProcs = readSqlFiles(sqlDir('tsql', 'procedures'));
const pgProcs = readSqlFiles(sqlDir('pg', 'procedures'));
const tsqlViews = readSqlFiles(sqlDir('tsql', 'views'));
const pgViews = readSqlFiles(sqlDir('pg', 'views'));

let engine: Engine;
let catalog: Map<string, PgFunction>;
beforeAll(async () => {
  engine = await openEngine({ dataDir: 'memory' });
  await deploy(engine);
  catalog = await describePgFunctions(engine);
});
afterAll(async () => engine?.close());

describe('procedure twins', () => {
  it('every T-SQL procedure has a PostgreSQL twin file and the reverse', () => {
    expect(tsqlProcs.map((f) => pascalToSnake(f.name)).sort()).toEqual(pgProcs.map((f) => f.name).sort());
  });

  it('every view exists in both twins', () => {
    expect(tsqlViews.map((f) => `vw_${pascalToSnake(f.name.replace(/^vw_/, ''))}`).sort())
      .toEqual(pgViews.map((f) => f.name).sort());
  });

  for (const file of tsqlProcs) {
    describe(file.name, () => {
      const twin = pgProcs.find((p) => p.name === pascalToSnake(file.name));

      it('has the same header block in both twins', () => {
        expect(twin, `sql/postgres/procedures/${pascalToSnake(file.name)}.sql`).toBeDefined();
        const a = parseHeader(file);
        expect(a.procedure).toBe(file.name);
        expect(parseHeader(twin!)).toEqual(a);
      });

      it('has the same parameters: name, type, default, output', () => {
        const tsql = readTsqlProcedure(file.text, file.path);
        const pg = catalog.get(pascalToSnake(file.name));
        expect(pg, `mmos.${pascalToSnake(file.name)} deployed`).toBeDefined();
        expect(pg!.params.map((p) => p.pgName)).toEqual(tsql.params.map((p) => pgParamName(p.sqlName)));
        tsql.params.forEach((tp, i) => {
          const pp = pg!.params[i]!;
          expect(logicalFromTsql(tp.type), `@${tp.sqlName} ${tp.type} vs ${pp.pgType}`).toContain(logicalFromPg(pp.pgType));
          expect(normalizeDefault(pp.defaultValue), `default of @${tp.sqlName}`).toEqual(normalizeDefault(tp.defaultValue));
          expect(tp.output, `@${tp.sqlName} must not be OUTPUT: results travel in the result set`).toBe(false);
        });
      });

      if (!parseHeader(file).internal) {
        it('has the same result columns in the same order', () => {
          const pg = catalog.get(pascalToSnake(file.name))!;
          expect(tsqlResultColumns(file.text)).toEqual(pg.columns.map((c) => snakeToPascal(c.pgName)));
        });
      }
    });
  }
});

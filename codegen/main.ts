/**
 * codegen: procedure signatures -> generated/ (typed functions, zod schemas, MCP tool entries).
 *
 *   npm run codegen            write generated/
 *   npm run codegen -- --check exit 1 when generated/ differs from what would be written
 *
 * Deploys the PostgreSQL twin into an in-memory PGlite and reads pg_proc, so types come from the
 * database's own description of each function; lengths come from the T-SQL declaration, and the
 * header comment (docs/conventions.md) gives descriptions, roles and annotations.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgliteEngine } from '../db/pglite-engine.js';
import { deploy } from '../db/deploy.js';
import { parseHeader, readSqlFiles, sqlDir } from '../db/sql-files.js';
import { pascalToSnake } from '../db/names.js';
import { describePgFunctions } from './pg-catalog.js';
import { readTsqlProcedure } from './tsql-signature.js';
import { buildModel, type ProcedureModel } from './model.js';
import { emitIndex, emitProcedure } from './emit.js';

export const GENERATED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated');

/** Builds the full set of generated files in memory: relative path -> content. */
export async function generate(): Promise<Map<string, string>> {
  const engine = await PgliteEngine.open();
  try {
    await deploy(engine);
    const catalog = await describePgFunctions(engine);
    const models: ProcedureModel[] = [];
    for (const file of readSqlFiles(sqlDir('tsql', 'procedures'))) {
      const header = parseHeader(file);
      if (header.internal) continue;
      if (header.procedure !== file.name) throw new Error(`${file.path}: @procedure says ${header.procedure}`);
      const tsql = readTsqlProcedure(file.text, file.path);
      const pg = catalog.get(pascalToSnake(file.name));
      if (!pg) throw new Error(`${file.path}: no PostgreSQL twin mmos.${pascalToSnake(file.name)} after deploy`);
      models.push(buildModel(header, tsql, pg));
    }
    const files = new Map<string, string>();
    for (const m of models) files.set(`procedures/${m.signature.name}.ts`, emitProcedure(m));
    files.set('index.ts', emitIndex(models));
    return files;
  } finally {
    await engine.close();
  }
}

/** Paths under generated/ that differ from `files` (changed, missing or extra). */
export function staleFiles(files: Map<string, string>, dir = GENERATED_DIR): string[] {
  const stale: string[] = [];
  for (const [rel, content] of files) {
    const path = join(dir, rel);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(rel);
  }
  const procDir = join(dir, 'procedures');
  if (existsSync(procDir))
    for (const f of readdirSync(procDir)) if (!files.has(`procedures/${f}`)) stale.push(`procedures/${f}`);
  return stale;
}

async function main(): Promise<void> {
  const files = await generate();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(files);
    if (stale.length) {
      process.stderr.write(`generated/ is stale; run npm run codegen. Differs: ${stale.join(', ')}\n`);
      process.exit(1);
    }
    process.stderr.write(`generated/ is up to date (${files.size} files)\n`);
    return;
  }
  rmSync(join(GENERATED_DIR, 'procedures'), { recursive: true, force: true });
  for (const [rel, content] of files) {
    mkdirSync(dirname(join(GENERATED_DIR, rel)), { recursive: true });
    writeFileSync(join(GENERATED_DIR, rel), content);
  }
  process.stderr.write(`wrote ${files.size} files to generated/\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`codegen failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the sql/ tree, found from this file so the CLI works from any folder. */
export const SQL_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'sql');

export type Dialect = 'tsql' | 'pg';

export interface SqlFile {
  /** File name without .sql (procedure name, view name or NNN_migration). */
  name: string;
  path: string;
  text: string;
  checksum: string;
}

/** Folder of each kind of object per dialect. */
export function sqlDir(dialect: Dialect, kind: 'tables' | 'procedures' | 'views' | 'jobs' | 'security'): string {
  return dialect === 'tsql' ? join(SQL_ROOT, kind) : join(SQL_ROOT, 'postgres', kind);
}

/** The .sql files of a folder, sorted by name (migrations by number, procedures internal-first). */
export function readSqlFiles(dir: string): SqlFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const text = readFileSync(path, 'utf8');
      return { name: basename(f, '.sql'), path, text, checksum: createHash('sha256').update(text).digest('hex') };
    });
}

/** Migration version from its file name: 001_core -> 1. */
export function migrationVersion(name: string): number {
  const m = /^(\d{3})_/.exec(name);
  if (!m) throw new Error(`migration file name must start with a three-digit number: ${name}.sql`);
  return Number(m[1]);
}

/** The tags of a procedure's header comment (docs/conventions.md#header-comment). */
export interface ProcedureHeader {
  procedure: string;
  summary: string;
  description: string;
  roles: string[];
  toolset: string;
  writes: boolean;
  destructive: boolean;
  idempotent: boolean;
  internal: boolean;
  params: Record<string, string>;
  access: string;
  throws: string;
}

/** Parses the first block comment of a procedure file. Throws naming the file when a tag is missing. */
export function parseHeader(file: SqlFile): ProcedureHeader {
  const block = /\/\*([\s\S]*?)\*\//.exec(file.text);
  if (!block) throw new Error(`${file.path}: no header comment`);
  // Each tag starts a line with @name; following lines without a tag continue it.
  const tags = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  for (const rawLine of block[1]!.split('\n')) {
    const line = rawLine.trim();
    const m = /^@(\w+)\s*(.*)$/.exec(line);
    if (m) {
      const list = tags.get(m[1]!) ?? [];
      list.push(m[2]!);
      tags.set(m[1]!, list);
      last = { key: m[1]!, index: list.length - 1 };
    } else if (last && line) {
      const list = tags.get(last.key)!;
      list[last.index] = `${list[last.index]} ${line}`.trim();
    }
  }
  const one = (k: string, required = true): string => {
    const v = tags.get(k)?.[0];
    if (v === undefined && required) throw new Error(`${file.path}: header has no @${k}`);
    return v ?? '';
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = tags.get(k)?.[0];
    if (v === undefined) return dflt;
    if (v !== 'true' && v !== 'false') throw new Error(`${file.path}: @${k} must be true or false, got '${v}'`);
    return v === 'true';
  };
  const internal = bool('internal', false);
  const params: Record<string, string> = {};
  for (const p of tags.get('param') ?? []) {
    const m = /^(\w+)\s+(.*)$/.exec(p);
    if (!m) throw new Error(`${file.path}: @param needs a name and a description: '${p}'`);
    params[m[1]!] = m[2]!;
  }
  return {
    procedure: one('procedure'),
    summary: one('summary'),
    description: one('description', false),
    roles: internal ? [] : one('roles').split(',').map((s) => s.trim()).filter(Boolean),
    toolset: internal ? '' : one('toolset'),
    writes: bool('writes', true),
    destructive: bool('destructive', false),
    idempotent: bool('idempotent', false),
    internal,
    params,
    access: one('access'),
    throws: one('throws', false),
  };
}

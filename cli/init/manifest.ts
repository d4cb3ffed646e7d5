import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `.mmos-init.json` remembers what `mmos init` wrote last time, so a re-run regenerates the files a
 * person left alone and keeps the ones they edited. It also keeps the agents' hub tokens (the same
 * tokens the configs beside it carry), because the database stores only their hashes.
 */
export const MANIFEST_FILE = '.mmos-init.json';

export interface Manifest {
  generator: 'mmos init';
  version: 1;
  mode?: 'stdio' | 'http';
  /** Relative path (with '/') -> sha256 of the content init wrote. */
  files: Record<string, string>;
  /** Agent id -> bearer token (http mode). */
  tokens: Record<string, string>;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readManifest(root: string): Manifest {
  const path = join(root, MANIFEST_FILE);
  const empty: Manifest = { generator: 'mmos init', version: 1, files: {}, tokens: {} };
  if (!existsSync(path)) return empty;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
    return { ...empty, ...m, files: { ...(m.files ?? {}) }, tokens: { ...(m.tokens ?? {}) } };
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix or delete it (deleting makes init treat every existing file as your edit)`);
  }
}

export function writeManifest(root: string, m: Manifest): void {
  writeAtomically(join(root, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export interface PlannedFile {
  /** Relative to the init root, '/'-separated. */
  path: string;
  content: string;
}

export interface ApplyResult {
  written: string[];
  unchanged: string[];
  /** Files that differ from what init wrote last time (or that init never wrote): left as they are. */
  kept: string[];
}

/** Writes the planned files under root, never over a file a person changed; updates m.files. */
export function applyFiles(root: string, files: readonly PlannedFile[], m: Manifest): ApplyResult {
  const result: ApplyResult = { written: [], unchanged: [], kept: [] };
  for (const f of files) {
    const abs = join(root, ...f.path.split('/'));
    const wanted = sha256(f.content);
    if (existsSync(abs)) {
      const current = readFileSync(abs, 'utf8');
      const currentHash = sha256(current);
      if (currentHash === wanted) {
        m.files[f.path] = wanted;
        result.unchanged.push(f.path);
        continue;
      }
      if (m.files[f.path] !== currentHash) {
        result.kept.push(f.path);
        continue;
      }
    }
    writeAtomically(abs, f.content);
    m.files[f.path] = wanted;
    result.written.push(f.path);
  }
  return result;
}

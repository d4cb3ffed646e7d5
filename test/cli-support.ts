import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for the CLI tests (test/cli-*.test.ts): run the real `mmos` binary as a person would. */
export const BIN = fileURLToPath(new URL('../bin/mmos.mjs', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/mmos.mjs ...args`; the environment is the test's minus any MMOS_* settings, plus env. */
export function runMmos(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MMOS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...base, ...opts.env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mmos-${prefix}-`));
}

/**
 * The subset of TOML that `mmos init` writes, parsed strictly enough that a malformed file fails:
 * comments, [a.b] tables, key = "string" | number | boolean | ["string", ...] | { k = "v", ... },
 * and '''multi-line literal''' strings.
 */
export function parseMiniToml(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let table = root;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
    if (header) {
      table = root;
      for (const part of header[1]!.split('.')) {
        table[part] ??= {};
        table = table[part] as Record<string, unknown>;
      }
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+|"[^"]*")\s*=\s*(.+)$/.exec(line);
    if (!kv) throw new Error(`TOML line ${i + 1} is not a key = value: ${line}`);
    const key = kv[1]!.startsWith('"') ? (JSON.parse(kv[1]!) as string) : kv[1]!;
    if (key in table) throw new Error(`TOML line ${i + 1}: duplicate key ${key}`);
    let raw = kv[2]!;
    if (raw === "'''") {
      const end = lines.indexOf("'''", i + 1);
      if (end < 0) throw new Error(`TOML line ${i + 1}: unterminated ''' string`);
      table[key] = `${lines.slice(i + 1, end).join('\n')}\n`;
      i = end;
      continue;
    }
    table[key] = parseValue(raw);
  }
  return root;
}

function parseValue(raw: string): unknown {
  raw = raw.trim();
  if (raw.startsWith('"')) return JSON.parse(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (raw.startsWith('[') && raw.endsWith(']')) {
    const inner = raw.slice(1, -1).trim();
    return inner ? (JSON.parse(`[${inner}]`) as unknown[]) : [];
  }
  if (raw.startsWith('{') && raw.endsWith('}')) {
    const inner = raw.slice(1, -1).trim();
    const out: Record<string, unknown> = {};
    if (!inner) return out;
    for (const m of inner.matchAll(/\s*([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")\s*=\s*("(?:[^"\\]|\\.)*")\s*(,|$)/g)) {
      const k = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
      out[k] = JSON.parse(m[2]!);
    }
    if (!Object.keys(out).length) throw new Error(`bad inline table ${raw}`);
    return out;
  }
  throw new Error(`unsupported TOML value: ${raw}`);
}

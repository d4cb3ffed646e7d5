import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQL_ROOT } from '../db/sql-files.js';

/**
 * tsqllint over the T-SQL files (sql/ without sql/postgres), with the repository's .tsqllintrc.
 * tsqllint is an optional dependency whose install downloads a native build; where that failed the
 * package is absent and this suite is reported as skipped, by name, never as passed.
 */
const ROOT = join(SQL_ROOT, '..');
const BIN = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsqllint.cmd' : 'tsqllint');

function tsqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return path === join(SQL_ROOT, 'postgres') ? [] : tsqlFiles(path);
      return name.endsWith('.sql') ? [path] : [];
    });
}

/** Installed means the wrapper exists and the binary behind it answers. */
function installed(): boolean {
  if (!existsSync(BIN)) return false;
  const probe = spawnSync(BIN, ['--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return probe.error === undefined && probe.status === 0;
}

const available = installed();

(available ? describe : describe.skip)(available ? 'tsqllint' : 'tsqllint not installed: skipped', () => {
  it('reports no errors on the T-SQL files', () => {
    const files = tsqlFiles(SQL_ROOT).map((f) => relative(ROOT, f));
    expect(files.length).toBeGreaterThan(0);
    const run = spawnSync(BIN, ['-c', join(ROOT, '.tsqllintrc'), ...files], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(run.error).toBeUndefined();
    const output = `${run.stdout}${run.stderr}`;
    // Lines look like `sql/procedures/X.sql(12,5): error rule-name : message`; warnings do not fail.
    const errors = output.split(/\r?\n/).filter((l) => /\):\s*error\s/i.test(l));
    expect(errors, output).toEqual([]);
  }, 180_000);
});

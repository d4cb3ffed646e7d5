import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * PGlite does not lock its data folder: a second process opening it sees its own copy of the
 * pages and the two overwrite each other. So the embedded engine takes `<folder>.lock`, created
 * exclusively and holding its pid, whenever it opens a folder (db/pglite-engine.ts): the hub,
 * `mmos mcp` and every CLI command exclude each other without each remembering to. A lock left by
 * a process that no longer runs is taken over.
 */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Takes the lock; returns its release (also run at process exit). */
export function lockDataDir(dataDir: string): () => void {
  const path = `${resolve(dataDir)}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return releaser(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder !== undefined && holder !== process.pid && running(holder)) throw inUse(dataDir, holder);
      // The holder is gone (crash, kill -9): its lock protects nothing any more.
      try { unlinkSync(path); } catch { /* another process took it over first; the retry decides */ }
    }
  }
  throw new DataDirLockedError(`could not lock the embedded database folder ${resolve(dataDir)} (${path} keeps reappearing); is another mmos starting right now?`);
}

function releaser(path: string): () => void {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readHolder(path) === process.pid) unlinkSync(path);
    } catch { /* already gone */ }
  };
  process.on('exit', release);
  return release;
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder's command line where the system shows it (Linux /proc), e.g. `mmos serve --port 7337`. */
function describeProcess(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const at = args.findIndex((a) => /mmos(\.mjs)?$|cli[\\/]main\.ts$/.test(a));
    if (at >= 0) return ` (mmos ${args.slice(at + 1).join(' ')})`.replace(/ \)$/, ')');
    return args.length ? ` (${args.join(' ').slice(0, 120)})` : '';
  } catch {
    return '';
  }
}

function inUse(dataDir: string, pid: number): DataDirLockedError {
  return new DataDirLockedError(
    `the embedded database in ${resolve(dataDir)} is open in process ${pid}${describeProcess(pid)}; only one process may open it. ` +
      'While the hub (`mmos serve`) holds it, reach it through the hub (agents over MCP at its URL), or stop the hub and try again. ' +
      'A server database (--url / MMOS_DATABASE_URL: postgres://... or mssql://...) has no such limit.',
  );
}

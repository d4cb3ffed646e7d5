import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs. A killed agent's own child is re-parented and stays a zombie until
 * PID 1 reaps it, which on some machines takes seconds; kill(pid, 0) still succeeds on a zombie,
 * so state Z in /proc counts as gone (where /proc exists).
 */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

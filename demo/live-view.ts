import type { GetProjectStatusRow } from '../generated/index.js';

/**
 * The demo's live terminal view of one project, fed by get_project_status rows. On a terminal it
 * redraws one block in place (ANSI: cursor up, clear to the end); anywhere else (CI, a pipe, a
 * file) it prints one line per change, so the log reads as the project's history.
 */
export interface LiveViewOptions {
  /** Writes one chunk of text followed by a newline. */
  out: (text: string) => void;
  tty: boolean;
  color: boolean;
  startedAt: number;
  /** Event lines kept under the table on a terminal. */
  recentEvents?: number;
  /** Terminal width: longer lines are cut, since a wrapped line would spoil the redraw. */
  columns?: number;
}

interface Seen {
  status: string;
  worker: string | null;
  attempts: number;
}

const COLORS: Record<string, string> = {
  blocked: '2', ready: '36', running: '34;1', review: '35;1', done: '32', retry_wait: '33', dead: '31;1', cancelled: '2',
};
const ICONS: Record<string, string> = {
  blocked: '·', ready: '○', running: '▶', review: '?', done: '✓', retry_wait: '↻', dead: '✗', cancelled: '-',
};

export class LiveView {
  private readonly seen = new Map<string, Seen>();
  private readonly events: string[] = [];
  private rows: GetProjectStatusRow[] = [];
  private drawnLines = 0;

  constructor(private readonly o: LiveViewOptions) {}

  private stamp(): string {
    return `[${((Date.now() - this.o.startedAt) / 1000).toFixed(1).padStart(5)}s]`;
  }

  private paint(code: string | undefined, text: string): string {
    return this.o.color && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** An event worth a line of its own (a failure, a review), besides the state changes. */
  note(text: string): void {
    const line = `${this.stamp()} ${text}`;
    if (!this.o.tty) return this.o.out(line);
    this.events.push(line);
    this.events.splice(0, Math.max(0, this.events.length - (this.o.recentEvents ?? 10)));
    this.redraw();
  }

  /** Takes a fresh poll; prints what changed (pipe) or redraws (terminal). */
  update(rows: readonly GetProjectStatusRow[]): void {
    const tasks = rows.filter((r) => r.taskId != null);
    const width = Math.max(0, ...tasks.map((t) => (t.taskKey ?? '').length));
    let changed = false;
    for (const t of tasks) {
      const key = t.taskKey ?? String(t.taskId);
      const now: Seen = { status: t.status ?? '?', worker: t.workerId, attempts: t.attempts ?? 0 };
      const before = this.seen.get(key);
      if (before && before.status === now.status && before.worker === now.worker && before.attempts === now.attempts) continue;
      this.seen.set(key, now);
      changed = true;
      if (this.o.tty) continue;
      const move = before ? `${before.status} -> ${now.status}` : now.status;
      const who = showsWorker(now.status) && now.worker ? `  ${now.worker}` : '';
      const attempt = now.status === 'running' || now.status === 'retry_wait' ? `  attempt ${now.attempts}/${t.maxAttempts ?? '?'}` : '';
      const waiting = now.status === 'blocked' && Number(t.unmetDependencies) > 0 ? `  (waiting for ${t.unmetDependencies})` : '';
      this.o.out(`${this.stamp()} ${key.padEnd(width)}  ${this.paint(COLORS[now.status], move)}${who}${attempt}${waiting}`);
    }
    this.rows = tasks;
    if (changed && this.o.tty) this.redraw();
  }

  private redraw(): void {
    const width = Math.max(20, (this.o.columns ?? 100) - 1);
    const lines = this.block().map((l) => clip(l, width));
    const up = this.drawnLines ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.drawnLines = lines.length;
    this.o.out(up + lines.join('\n'));
  }

  /** Ends the live part: on a terminal the last drawing stays, and later output goes below it. */
  finish(): void {
    this.drawnLines = 0;
  }

  private block(): string[] {
    const p = this.rows[0];
    const head = p
      ? `${p.projectName ?? ''} ${p.projectProgressPercent ?? 0}%: ${p.runningCount ?? 0} running, ${p.reviewCount ?? 0} review, ` +
        `${p.readyCount ?? 0} ready, ${p.blockedCount ?? 0} blocked, ${p.doneCount ?? 0}/${p.taskCount ?? 0} done`
      : 'waiting for the plan...';
    const keyW = Math.max(4, ...this.rows.map((r) => (r.taskKey ?? '').length));
    const titleW = Math.max(5, ...this.rows.map((r) => (r.title ?? '').length));
    const lines = [`${this.stamp()} ${head}`];
    let phase: string | null | undefined;
    for (const r of this.rows) {
      if (r.phase !== phase) lines.push(`  ${this.paint('1', (phase = r.phase) ?? '(no phase)')}`);
      const s = r.status ?? '?';
      const who = showsWorker(s) && r.workerId ? r.workerId : '';
      const tries = (r.attempts ?? 0) > 1 ? `attempt ${r.attempts}` : '';
      lines.push(`    ${this.paint(COLORS[s], `${ICONS[s] ?? ' '} ${s.padEnd(10)}`)} ${(r.taskKey ?? '').padEnd(keyW)}  ${(r.title ?? '').padEnd(titleW)}  ${who.padEnd(16)} ${tries}`.trimEnd());
    }
    if (this.events.length) lines.push('', ...this.events.map((e) => `  ${e}`));
    return lines;
  }
}

/** Cuts a line to `width` visible characters, keeping ANSI colour codes intact. */
export function clip(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const esc = /^\x1b\[[0-9;]*[A-Za-z]/.exec(line.slice(i, i + 16));
    if (esc) {
      out += esc[0];
      i += esc[0].length - 1;
    } else if (visible < width) {
      out += line[i];
      visible++;
    }
  }
  return out;
}

function showsWorker(status: string): boolean {
  return status === 'running' || status === 'review' || status === 'done' || status === 'retry_wait' || status === 'dead';
}

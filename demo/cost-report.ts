import { renderTable, type Column } from '../cli/table.js';
import type { GetCostReportRow } from '../generated/index.js';

/**
 * get_cost_report as the demo prints it: one line per model, then the project's total, where the
 * baseline is what the same tokens would have cost had every task run on the most expensive
 * eligible model (the procedure's figures; nothing is recomputed here).
 */
const usd = (v: number | null | undefined) => (v == null ? '' : `$${Number(v).toFixed(4)}`);
const count = (v: number | null | undefined) => (v == null ? '' : Number(v).toLocaleString('en-US'));
const pct = (v: number | null | undefined) => (v == null ? '' : `${Number(v).toFixed(1)}%`);

function workers(v: unknown): string {
  const list = typeof v === 'string' ? safeJson(v) : v;
  return Array.isArray(list) ? list.join(',') : String(list ?? '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface Line {
  model: string;
  workers: string;
  tasks: string;
  tokensIn: string;
  tokensOut: string;
  actual: string;
  baseline: string;
  saving: string;
}

const COLUMNS: Column<Line>[] = [
  { header: 'MODEL', value: (l) => l.model },
  { header: 'WORKERS', value: (l) => l.workers },
  { header: 'TASKS', value: (l) => l.tasks, align: 'right' },
  { header: 'TOKENS IN', value: (l) => l.tokensIn, align: 'right' },
  { header: 'TOKENS OUT', value: (l) => l.tokensOut, align: 'right' },
  { header: 'ACTUAL', value: (l) => l.actual, align: 'right' },
  { header: 'ALL-PREMIUM', value: (l) => l.baseline, align: 'right' },
  { header: 'SAVING', value: (l) => l.saving, align: 'right' },
];

export function costReportText(rows: readonly GetCostReportRow[]): string {
  const lines: Line[] = rows
    .filter((r) => r.modelName != null)
    .map((r) => ({
      model: r.modelName ?? '',
      workers: workers(r.workerIds),
      tasks: count(r.tasksCompleted),
      tokensIn: count(r.tokensIn),
      tokensOut: count(r.tokensOut),
      actual: usd(r.actualCostUsd),
      baseline: usd(r.baselineCostUsd),
      saving: `${usd(r.savingUsd)} (${pct(r.savingPercent)})`,
    }));
  const p = rows[0];
  const sum = (f: (r: GetCostReportRow) => number | null) => rows.reduce((n, r) => n + Number(f(r) ?? 0), 0);
  lines.push({
    model: 'TOTAL', workers: '', tasks: count(sum((r) => r.tasksCompleted)), tokensIn: count(sum((r) => r.tokensIn)), tokensOut: count(sum((r) => r.tokensOut)),
    actual: usd(p?.projectActualCostUsd), baseline: usd(p?.projectBaselineCostUsd), saving: `${usd(p?.projectSavingUsd)} (${pct(p?.projectSavingPercent)})`,
  });
  const table = renderTable(lines, COLUMNS).split('\n');
  table.splice(table.length - 1, 0, table[1]!);
  return [
    'Cost report (get_cost_report): actual cost against every task on the most expensive eligible model',
    ...table,
    `Saving: ${usd(p?.projectSavingUsd)} of ${usd(p?.projectBaselineCostUsd)} (${pct(p?.projectSavingPercent)}) by routing work to the cheaper model where it was eligible.`,
  ].join('\n');
}

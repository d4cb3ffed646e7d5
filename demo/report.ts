import type { GetProjectStatusRow } from '../generated/index.js';
import { renderTable, type Column } from '../cli/table.js';
import type { DemoWorker } from './plan.js';
import type { PlanTaskInput } from '../codegen/json-shapes.js';

/** The demo's plain tables: the team, the plan, and the project at the end. */

export function teamTable(workers: readonly DemoWorker[]): string {
  const cols: Column<DemoWorker>[] = [
    { header: 'WORKER', value: (w) => w.registration.instanceName },
    { header: 'STANDS IN FOR', value: (w) => (w.preset === 'gemini' ? 'gemini -p' : 'claude -p') },
    { header: 'MODEL', value: (w) => w.registration.modelName },
    { header: 'TIER', value: (w) => w.registration.qualityTier, align: 'right' },
    { header: '$/M TOKENS IN/OUT', value: (w) => `${w.registration.inputUsdPerMillionTokens}/${w.registration.outputUsdPerMillionTokens}`, align: 'right' },
    { header: 'CAP', value: (w) => w.registration.workerCapacity, align: 'right' },
    { header: 'CAPABILITIES', value: (w) => w.registration.capabilities.join(',') },
  ];
  return renderTable(workers, cols);
}

export function planTable(plan: readonly PlanTaskInput[]): string {
  const cols: Column<PlanTaskInput>[] = [
    { header: 'KEY', value: (t) => t.key },
    { header: 'TITLE', value: (t) => t.title },
    { header: 'PHASE', value: (t) => shortPhase(t.phase) },
    { header: 'TYPE', value: (t) => t.type },
    { header: 'COMPLEX', value: (t) => t.complexity },
    { header: 'PRIO', value: (t) => t.priority, align: 'right' },
    { header: 'NEEDS', value: (t) => t.capabilities?.join(',') },
    { header: 'DEPENDS ON', value: (t) => t.dependsOn?.join(',') },
    { header: 'REVIEW', value: (t) => (t.requiresReview ? 'admin' : '') },
  ];
  return renderTable(plan, cols);
}

export function statusTable(rows: readonly GetProjectStatusRow[]): string {
  const p = rows[0];
  const cols: Column<GetProjectStatusRow>[] = [
    { header: 'KEY', value: (r) => r.taskKey },
    { header: 'TITLE', value: (r) => r.title },
    { header: 'PHASE', value: (r) => shortPhase(r.phase) },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'WORKER', value: (r) => r.workerId },
    { header: 'ATTEMPTS', value: (r) => `${r.attempts ?? 0}/${r.maxAttempts ?? '?'}`, align: 'right' },
  ];
  const head = p ? `Project: ${p.projectName ?? ''} (${p.projectStatus ?? '?'}), ${p.projectProgressPercent ?? 0}% done, ${p.doneCount ?? 0}/${p.taskCount ?? 0} tasks done` : 'Project: (no rows)';
  return `${head}\n${renderTable(rows.filter((r) => r.taskId != null), cols)}`;
}

/** 'Phase 2: Core Implementation' -> 'Phase 2'. */
function shortPhase(phase: string | null | undefined): string {
  return phase ? phase.split(':')[0]! : '';
}

/**
 * Scenario 2 of the original notes, "Model Specialization & Cost Optimization", replayed on the real
 * procedures in an in-memory PGlite:
 *
 *   npm run scenario:2
 *
 * User: "Research competitors and implement similar features". Workers as in the notes: a Gemini
 * worker for research, Claude Worker-1 for planning and analysis, Claude Worker-2 for coding; the
 * admin (Claude) reviews. The admin submits the plan research -> feature planning -> implementation
 * (requiresReview: the code review is the admin's ReviewTask). AssignReadyTasks routes each ready
 * task; the assigned worker claims and completes it, reporting fixed token counts (no cost, so the
 * database computes it from the price table); the admin approves the review. The script then prints
 * who got what and GetCostReport, whose baseline here is the all-Claude setup.
 *
 * Nothing is decided here: the routing, the costs and the saving all come from the procedures. The
 * script only plays the agents' part and checks that the report's baseline equals the all-Claude
 * figure computed by hand from the same token counts. Output is deterministic.
 */
import type { Engine } from '../db/types.js';
import type { Identity } from '../db/call.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import {
  addTasks, assignReadyTasks, claimNextTask, completeTask, createProject, getCostReport, getTask, getTaskHistory, registerWorker,
  reviewTask, type RegisterWorkerInput,
} from '../generated/index.js';

/** When the list prices below were looked up. */
const PRICES_CHECKED = '2026-11-25';
const TENANT = 'scenario-2';
const admin: Identity = { tenantId: TENANT, callerId: 'AdminClaude', role: 'admin' };

interface WorkerSpec extends RegisterWorkerInput { workerId: string }
const SONNET = { modelType: 'Claude', modelName: 'claude-sonnet-4-5', qualityTier: 2, inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 };
const WORKERS: WorkerSpec[] = [
  { workerId: 'gemini-1', instanceName: 'Gemini-1', modelType: 'Gemini', modelName: 'gemini-2.5-flash', qualityTier: 1,
    inputUsdPerMillionTokens: 0.3, outputUsdPerMillionTokens: 2.5, capabilities: ['research'] },
  // Claude can research too: the router sends research to Gemini because it is cheaper, not because it is the only one able.
  { workerId: 'claude-worker-1', instanceName: 'Claude-Worker-1', ...SONNET, capabilities: ['planning', 'analysis', 'research'] },
  { workerId: 'claude-worker-2', instanceName: 'Claude-Worker-2', ...SONNET, capabilities: ['coding'] },
];

/** Illustrative token counts each task's worker reports (fixed, so the output never changes). */
const TOKENS: Record<string, { tokensIn: number; tokensOut: number }> = {
  research: { tokensIn: 400_000, tokensOut: 15_000 }, // reads competitors' sites, docs and changelogs
  'feature-plan': { tokensIn: 30_000, tokensOut: 6_000 },
  implement: { tokensIn: 120_000, tokensOut: 25_000 },
};

const PLAN = [
  { key: 'research', title: 'Research competitors', type: 'research' as const, capabilities: ['research'],
    description: 'Survey three competing products: their features, pricing and recent releases. Summarise what users value.' },
  { key: 'feature-plan', title: 'Plan the similar features', type: 'planning' as const, capabilities: ['planning'], dependsOn: ['research'],
    description: 'From the research, choose the features worth building and write a short implementation plan.' },
  { key: 'implement', title: 'Implement the planned features', type: 'coding' as const, capabilities: ['coding'], dependsOn: ['feature-plan'],
    requiresReview: true, description: 'Implement the plan with tests.' },
];

const usd = (n: number | null | undefined, digits = 4) => (n === null || n === undefined ? '-' : `$${n.toFixed(digits)}`);
const int = (n: number | null | undefined) => (n ?? 0).toLocaleString('en-US');
/** A plain text table: figures right-aligned, text left-aligned. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = head.map((_, i) => rows.every((r) => /^[$\d]/.test(r[i]!)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const db: Engine = await openEngine({ dataDir: 'memory' });
  try {
    await deploy(db);
    const out: string[] = [];
    out.push('MMOS Scenario 2: Model Specialization & Cost Optimization');
    out.push('User: "Research competitors and implement similar features"', '');

    out.push('Workers (list prices per million tokens, USD, checked ' + PRICES_CHECKED + '):');
    for (const { workerId, ...w } of WORKERS) {
      await registerWorker(db, { tenantId: TENANT, callerId: workerId, role: 'worker' }, { workerCapacity: 1, ...w });
      out.push(`  ${w.instanceName!.padEnd(16)} ${w.modelName!.padEnd(18)} tier ${w.qualityTier}  in ${usd(w.inputUsdPerMillionTokens, 2)}  out ${usd(w.outputUsdPerMillionTokens, 2)}  capabilities ${(w.capabilities as string[]).join(', ')}`);
    }
    out.push('  AdminClaude      reviews (the admin session; it is not a worker and runs no task)', '');

    const projectId = (await createProject(db, admin, { projectName: 'Research competitors and implement similar features', budgetUsd: 5 }))[0]!.projectId!;
    await addTasks(db, admin, { projectId, tasks: PLAN });
    out.push('Plan: research -> feature-plan -> implement (requiresReview: code review by the admin); budget $5.00', '');

    out.push('Routing (AssignReadyTasks, run whenever tasks become ready):');
    const workerOf = new Map(WORKERS.map((w) => [w.workerId, { tenantId: TENANT, callerId: w.workerId, role: 'worker' } satisfies Identity]));
    for (let round = 1; round <= 10; round++) {
      const assigned = await assignReadyTasks(db, admin, { projectId });
      if (!assigned.length) break;
      for (const a of assigned) {
        out.push(`  round ${round}: ${a.taskKey} -> ${a.workerId} (${a.modelName}): ${a.reason}`);
        const worker = workerOf.get(a.workerId!)!;
        const claim = (await claimNextTask(db, worker, {}))[0];
        if (claim?.taskId !== a.taskId) throw new Error(`${a.workerId} claimed ${claim?.taskKey ?? 'nothing'}, not ${a.taskKey}`);
        const done = (await completeTask(db, worker, { taskId: a.taskId!, leaseToken: claim.leaseToken!, result: `${a.taskKey}: done`, ...TOKENS[a.taskKey!] }))[0]!;
        if (done.status === 'review') {
          const reviewed = (await reviewTask(db, admin, { taskId: a.taskId!, approve: true, feedback: 'Code review passed.' }))[0]!;
          out.push(`           completed -> review; AdminClaude approved -> ${reviewed.status}`);
        }
      }
    }
    out.push('');

    out.push('Who got what:');
    const rows: string[][] = [];
    let allClaude = 0;
    for (const p of PLAN) {
      const taskId = (await db.query('SELECT task_id FROM mmos.task_queue WHERE project_id = $1 AND task_key = $2', [projectId, p.key]))[0]!['task_id'] as number;
      const t = (await getTask(db, admin, { taskId }))[0]!;
      const worker = WORKERS.find((w) => w.workerId === t.workerId)!;
      const usage = (await db.query('SELECT tokens_in, tokens_out, cost_usd::float8 AS cost_usd, cost_source FROM mmos.usage_records WHERE task_id = $1', [taskId]))[0]!;
      const tokens = TOKENS[p.key]!;
      allClaude += (tokens.tokensIn * SONNET.inputUsdPerMillionTokens + tokens.tokensOut * SONNET.outputUsdPerMillionTokens) / 1e6;
      rows.push([t.taskKey!, t.taskType!, t.complexity!, t.workerId!, worker.modelName!, int(Number(usage['tokens_in'])), int(Number(usage['tokens_out'])),
        usd(Number(usage['cost_usd'])), String(usage['cost_source']), t.status!]);
    }
    out.push(table(['task', 'type', 'complexity', 'worker', 'model', 'tokens in', 'tokens out', 'cost', 'cost source', 'status'], rows), '');

    const report = await getCostReport(db, admin, { projectId });
    out.push('Cost report (GetCostReport; baseline = the same tokens on the most expensive eligible model of each task):');
    out.push(table(['model', 'workers', 'tasks', 'tokens in', 'tokens out', 'actual', 'baseline', 'saving', 'saving %'],
      report.map((r) => [r.modelName!, (r.workerIds as string[]).join(', '), String(r.tasksCompleted), int(r.tokensIn), int(r.tokensOut),
        usd(r.actualCostUsd), usd(r.baselineCostUsd), usd(r.savingUsd), `${r.savingPercent!.toFixed(2)}%`])));
    const total = report[0]!;
    out.push('');
    out.push(`Project: actual ${usd(total.projectActualCostUsd)}, baseline ${usd(total.projectBaselineCostUsd)}, ` +
      `budget ${usd(total.budgetUsd, 2)} (remaining ${usd(total.budgetRemainingUsd)})`);

    // Every task here can run on claude-sonnet-4-5 and no dearer model is registered, so the
    // report's baseline is the all-Claude setup; checked against the same tokens priced by hand.
    if (Math.abs(allClaude - total.projectBaselineCostUsd!) > 1e-9)
      throw new Error(`baseline ${total.projectBaselineCostUsd} is not the all-Claude cost ${allClaude}`);
    out.push(`Saving against all-Claude (every task on claude-sonnet-4-5, ${usd(allClaude)}): ` +
      `${usd(total.projectSavingUsd)} = ${total.projectSavingPercent!.toFixed(2)}%`);
    out.push('');

    out.push('History of "implement" (GetTaskHistory):');
    const implId = (await db.query('SELECT task_id FROM mmos.task_queue WHERE project_id = $1 AND task_key = $2', [projectId, 'implement']))[0]!['task_id'] as number;
    for (const e of await getTaskHistory(db, admin, { taskId: implId }))
      out.push(`  ${e.eventType!.padEnd(16)} ${`${e.fromStatus ?? ''}->${e.toStatus ?? ''}`.padEnd(17)} ${e.actor!.padEnd(16)} ${e.detail ?? ''}`.trimEnd());
    out.push('');

    out.push('Notes:');
    out.push(`- Prices are list prices per million tokens as of ${PRICES_CHECKED}: gemini-2.5-flash $0.30 in / $2.50 out (Google, paid tier),`);
    out.push('  claude-sonnet-4-5 $3 in / $15 out (Anthropic, prompts up to 200k tokens). No premium (tier 3) model is needed:');
    out.push('  claude-opus-4-1 ($15 / $75) is not registered, so it is in neither the routing nor the baseline.');
    out.push('- Token counts are illustrative, fixed numbers (above), not measurements. The saving comes from the research step,');
    out.push('  the one task a cheaper model may take; it grows with the share of tokens research uses.');
    out.push('- The admin\'s review is the same in both setups and is not counted in either.');
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await db.close();
  }
}

await main();

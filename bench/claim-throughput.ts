/**
 * Claim throughput benchmark: how fast the procedures plan, hand out and complete tasks, and what
 * the process costs in memory while they do.
 *
 *   npm run bench                                   # PGlite, plus PostgreSQL when 127.0.0.1:5432 answers
 *   npm run bench -- --tasks 5000 --workers 16      # bigger run
 *   MMOS_BENCH_PG_URL=postgres://... npm run bench  # another PostgreSQL server
 *   MMOS_BENCH_MSSQL_URL=mssql://... npm run bench  # SQL Server as well
 *
 * Each engine gets a fresh database. Tasks come in chains of --chain (each waits for the previous),
 * submitted by AddTasks in plans of 100; --workers workers (capacity 1) loop claim -> complete until
 * the queue is drained. Prints figures; asserts nothing (the tests do that).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';
import type { Engine } from '../db/types.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import type { Identity } from '../db/call.js';
import { addTasks, claimNextTask, completeTask, createProject, registerWorker } from '../generated/index.js';

const { values: opts } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '8' },
    chain: { type: 'string', default: '10' },
  },
});
const TASKS = Number(opts.tasks);
const WORKERS = Number(opts.workers);
const CHAIN = Number(opts.chain);
const PLAN_SIZE = 100;
const admin: Identity = { tenantId: 'bench', callerId: 'bench-admin' };

interface Figures { engine: string; planPerSec: number; drainPerSec: number; claimP50: number; claimP95: number; peakRssMb: number; heapMb: number }

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

async function run(label: string, engine: Engine): Promise<Figures> {
  await deploy(engine);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

  const project = (await createProject(engine, admin, { projectName: `bench ${label}` }))[0]!.projectId!;
  const planStart = performance.now();
  for (let offset = 0; offset < TASKS; offset += PLAN_SIZE) {
    const tasks = Array.from({ length: Math.min(PLAN_SIZE, TASKS - offset) }, (_, i) => {
      const n = offset + i;
      return { key: `t${n}`, title: `task ${n}`, complexity: 'low' as const, ...(n % CHAIN ? { dependsOn: [`t${n - 1}`] } : {}) };
    });
    await addTasks(engine, admin, { projectId: project, tasks });
  }
  const planSeconds = (performance.now() - planStart) / 1000;

  const workers = Array.from({ length: WORKERS }, (_, i) => ({ tenantId: 'bench', callerId: `bench-w${i}` } satisfies Identity));
  for (const w of workers) await registerWorker(engine, w, { instanceName: w.callerId, modelType: 'Bench', qualityTier: 3 });

  const claimLatencies: number[] = [];
  let done = 0;
  const drainStart = performance.now();
  await Promise.all(workers.map(async (w) => {
    let idle = 0;
    while (done < TASKS && idle < 200) {
      const t0 = performance.now();
      const [task] = await claimNextTask(engine, w, { leaseSeconds: 60 });
      claimLatencies.push(performance.now() - t0);
      if (!task) { idle++; await new Promise((r) => setTimeout(r, 2)); continue; }
      idle = 0;
      await completeTask(engine, w, { taskId: task.taskId!, leaseToken: task.leaseToken!, result: 'ok', tokensIn: 100, tokensOut: 50 });
      done++;
    }
  }));
  const drainSeconds = (performance.now() - drainStart) / 1000;
  clearInterval(sampler);
  if (done !== TASKS) throw new Error(`${label}: drained ${done} of ${TASKS} tasks`);
  claimLatencies.sort((a, b) => a - b);
  return {
    engine: label,
    planPerSec: TASKS / planSeconds,
    drainPerSec: TASKS / drainSeconds,
    claimP50: percentile(claimLatencies, 0.5),
    claimP95: percentile(claimLatencies, 0.95),
    peakRssMb: peakRss / 2 ** 20,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
    s.connect(Number(u.port || 5432), u.hostname, () => { s.destroy(); resolve(true); });
  });
}

/** A throwaway PostgreSQL database for one run; the name is hex digits only. */
async function withPostgres<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `mmos_bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  try {
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`claim throughput: ${TASKS} tasks in chains of ${CHAIN}, ${WORKERS} workers, plans of ${PLAN_SIZE}\n`);
  const results: Figures[] = [];
  const pglite = await openEngine({ dataDir: 'memory' });
  try { results.push(await run('PGlite', pglite)); } finally { await pglite.close(); }

  const pgUrl = process.env['MMOS_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(pgUrl)) {
    results.push(await withPostgres(pgUrl, async (url) => {
      const engine = await openEngine({ url, poolSize: WORKERS + 2 });
      try { return await run('PostgreSQL', engine); } finally { await engine.close(); }
    }));
  } else process.stdout.write(`PostgreSQL: skipped, nothing answers at ${new URL(pgUrl).host}\n`);

  const mssqlUrl = process.env['MMOS_BENCH_MSSQL_URL'];
  if (mssqlUrl) {
    const engine = await openEngine({ url: mssqlUrl, poolSize: WORKERS + 2 });
    try { results.push(await run('SQL Server', engine)); } finally { await engine.close(); }
  } else process.stdout.write('SQL Server: skipped, MMOS_BENCH_MSSQL_URL not set\n');

  const header = ['engine', 'plan tasks/s', 'claim+complete tasks/s', 'claim p50 ms', 'claim p95 ms', 'peak RSS MB', 'heap MB'];
  const rows = results.map((r) => [r.engine, r.planPerSec.toFixed(0), r.drainPerSec.toFixed(0), r.claimP50.toFixed(1), r.claimP95.toFixed(1), r.peakRssMb.toFixed(0), r.heapMb.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const line of [header, ...rows]) process.stdout.write(line.map((c, i) => c.padStart(widths[i]!)).join('  ') + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

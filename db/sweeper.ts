import cron, { type ScheduledTask } from 'node-cron';
import type { Engine } from './types.js';
import type { Identity } from './call.js';
import { assignReadyTasks, sweepDelayedRetries, sweepExpiredLeases, sweepOfflineWorkers } from '../generated/index.js';

/**
 * Runs the sweep procedures (three sweeps, then the AssignReadyTasks routing pass) in process, for
 * engines without SQL Server Agent (PostgreSQL, PGlite, SQL Server Express, Azure SQL Database). The procedures hold all the logic and are safe
 * to run concurrently (several hubs may each run a sweeper); this class only schedules them.
 */
export interface SweeperOptions {
  /** Seconds between runs, 1-59 (node-cron's seconds field). Default 5. */
  everySeconds?: number;
  /** Sweep one tenant only; omitted: every tenant (the procedures' @TenantId = NULL). */
  tenantId?: string;
  /** Passed to SweepOfflineWorkers; omitted: the procedure's default (90). */
  heartbeatTimeoutSeconds?: number;
  /** Passed to SweepExpiredLeases, SweepDelayedRetries and AssignReadyTasks (MaxTasks); omitted: the procedures' default (500). */
  batchSize?: number;
  /** Where to log; default stderr (stdout may carry the MCP protocol). */
  log?: (line: string) => void;
}

/** What one run did, summed from the sweeps' summary rows and the routing pass's assignments. */
export interface SweepSummary {
  expiredLeases: number;
  requeued: number;
  deadLettered: number;
  workersOfflined: number;
  tasksReleased: number;
  retriesPromoted: number;
  /** Ready tasks AssignReadyTasks gave a worker. */
  tasksAssigned: number;
}

export class Sweeper {
  private task: ScheduledTask | undefined;
  private running: Promise<SweepSummary> | undefined;
  private readonly identity: Identity;
  private readonly log: (line: string) => void;

  constructor(private readonly engine: Engine, private readonly options: SweeperOptions = {}) {
    const every = options.everySeconds ?? 5;
    if (!Number.isInteger(every) || every < 1 || every > 59) throw new Error(`sweeper: everySeconds must be an integer from 1 to 59, got ${every}`);
    // The generated wrappers always pass identity.tenantId; left undefined it is omitted from the
    // call, so the procedures' default (NULL = every tenant) applies.
    this.identity = { tenantId: options.tenantId as string, callerId: 'sweeper', role: 'admin' };
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Schedules the sweeps every N seconds. A run still going when the next is due is not doubled. */
  start(): void {
    if (this.task) return;
    const every = this.options.everySeconds ?? 5;
    this.task = cron.schedule(`*/${every} * * * * *`, () => this.tick(), { name: 'mmos-sweeper', noOverlap: true });
    this.log(`mmos sweeper: every ${every} s${this.options.tenantId ? ` for tenant ${this.options.tenantId}` : ' for every tenant'}`);
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task) await task.destroy();
    await this.running?.catch(() => undefined);
  }

  /**
   * Runs the sweeps once, in the order that lets work move furthest in one pass: workers that went
   * silent release their tasks, expired leases come back, retries whose back-off passed become
   * ready, and the routing pass gives the ready tasks a worker. When a run is already in progress, returns that run instead of starting another.
   */
  runOnce(): Promise<SweepSummary> {
    this.running ??= this.sweep().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      const s = await this.runOnce();
      if (s.expiredLeases || s.workersOfflined || s.tasksReleased || s.retriesPromoted || s.tasksAssigned)
        this.log(`mmos sweeper: ${s.workersOfflined} worker(s) offline releasing ${s.tasksReleased} task(s), ` +
          `${s.expiredLeases} expired lease(s) (${s.requeued} requeued, ${s.deadLettered} dead), ${s.retriesPromoted} retr(ies) promoted, ${s.tasksAssigned} task(s) assigned`);
    } catch (err) {
      this.log(`mmos sweeper: run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async sweep(): Promise<SweepSummary> {
    const { batchSize, heartbeatTimeoutSeconds } = this.options;
    const offline = (await sweepOfflineWorkers(this.engine, this.identity, heartbeatTimeoutSeconds === undefined ? {} : { heartbeatTimeoutSeconds }))[0];
    const leases = (await sweepExpiredLeases(this.engine, this.identity, batchSize === undefined ? {} : { batchSize }))[0];
    const retries = (await sweepDelayedRetries(this.engine, this.identity, batchSize === undefined ? {} : { batchSize }))[0];
    // Last, so the tasks the sweeps just made ready are routed in the same run.
    const assigned = await assignReadyTasks(this.engine, this.identity, batchSize === undefined ? {} : { maxTasks: batchSize });
    return {
      workersOfflined: offline?.workersOfflined ?? 0,
      tasksReleased: offline?.tasksReleased ?? 0,
      expiredLeases: leases?.expiredCount ?? 0,
      requeued: leases?.requeuedCount ?? 0,
      deadLettered: (leases?.deadCount ?? 0) + (offline?.deadCount ?? 0),
      retriesPromoted: retries?.promotedCount ?? 0,
      tasksAssigned: assigned.length,
    };
  }
}

import type { Engine } from '../db/types.js';
import { MmosError } from '../db/types.js';
import { heartbeat, registerWorker, unregisterWorker, type RegisterWorkerInput } from '../generated/index.js';
import type { Logger } from './log.js';
import type { Caller } from './tool-registry.js';

export const HEARTBEAT_SECONDS = 30;

/**
 * A stdio worker's presence: registered when its server starts, a heartbeat every 30 s while the
 * agent session lives, offline (UnregisterWorker, which also gives its running tasks back) when the
 * session ends. Every call runs as the worker itself, under the worker database role.
 */
export class WorkerPresence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly worker: Caller,
    private readonly registration: RegisterWorkerInput,
    private readonly log: Logger,
    private readonly intervalSeconds = HEARTBEAT_SECONDS,
  ) {}

  /** Registers the worker; a refusal (say WORKER_CAPACITY out of range) propagates, so the server does not start half-configured. */
  async start(): Promise<void> {
    await this.register();
    this.timer = setInterval(() => void this.beat(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the heartbeat and marks the worker offline. Never throws: the process is leaving anyway. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      const row = (await unregisterWorker(this.engine, this.identity(), {}, { role: 'worker' }))[0];
      this.log.info(`worker ${this.worker.callerId} unregistered: ${row?.status ?? '?'}, ${row?.releasedTasks ?? 0} running task(s) released`);
    } catch (err) {
      this.log.error(`worker ${this.worker.callerId}: unregister failed`, err);
    }
  }

  private identity() {
    return { tenantId: this.worker.tenantId, callerId: this.worker.callerId, role: this.worker.role };
  }

  private async register(): Promise<void> {
    const row = (await registerWorker(this.engine, this.identity(), this.registration, { role: 'worker' }))[0];
    this.log.info(`worker ${this.worker.callerId} registered as ${row?.instanceName ?? '?'} (${row?.status ?? '?'})`);
  }

  private async beat(): Promise<void> {
    try {
      await heartbeat(this.engine, this.identity(), {}, { role: 'worker' });
    } catch (err) {
      // The worker row is gone (a reset database): register again rather than heartbeat into the void.
      if (err instanceof MmosError && err.number === 50404) {
        this.log.warn(`worker ${this.worker.callerId} unknown at heartbeat; registering again`);
        await this.register().catch((e) => this.log.error(`worker ${this.worker.callerId}: re-register failed`, e));
        return;
      }
      this.log.error(`worker ${this.worker.callerId}: heartbeat failed`, err);
    }
  }
}

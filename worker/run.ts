import type { WorkerConfig } from './config.js';
import { connectHttp, connectStdio, type ToolCaller } from './tool-caller.js';
import { Worker } from './worker.js';

export function connectFor(config: WorkerConfig): Promise<ToolCaller> {
  const c = config.connection;
  return c.kind === 'http' ? connectHttp(c.url, c.token) : connectStdio(c);
}

/** Connects, registers and starts a worker; `stop()` on the result ends it cleanly. */
export async function startWorker(config: WorkerConfig, opts: { log: (line: string) => void; agentEnv?: NodeJS.ProcessEnv; caller?: ToolCaller }): Promise<Worker> {
  const caller = opts.caller ?? (await connectFor(config));
  const worker = new Worker({
    caller,
    registration: config.registration,
    preset: config.preset,
    commandTemplate: config.commandTemplate,
    workspaceRoot: config.workspaceRoot,
    leaseSeconds: config.leaseSeconds,
    taskTimeoutSeconds: config.taskTimeoutSeconds,
    killGraceMs: config.killGraceMs,
    shutdownGraceMs: config.shutdownGraceMs,
    heartbeatMs: config.heartbeatMs,
    pollMinMs: config.pollMinMs,
    pollMaxMs: config.pollMaxMs,
    agentEnv: opts.agentEnv ?? process.env,
    log: opts.log,
  });
  try {
    await worker.start();
  } catch (err) {
    await caller.close().catch(() => {});
    throw err;
  }
  return worker;
}

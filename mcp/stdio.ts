import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import type { Engine } from '../db/types.js';
import { createAppContainer, resolve, TOKENS } from '../app/container.js';
import { parseStdioEnv } from './env.js';
import { stderrLogger, type Logger } from './log.js';
import { createMcpServer } from './server.js';
import { WorkerPresence } from './worker-presence.js';

export interface StdioOptions {
  env: NodeJS.ProcessEnv;
  /** Defaults: the process's stdin and stdout. */
  stdin?: Readable;
  stdout?: Writable;
  logger?: Logger;
}

/**
 * `mmos mcp`: the MCP server an agent's .mcp.json starts, over stdin/stdout, for the identity in
 * its environment (mcp/env.ts). A worker's server registers the worker, heartbeats while the
 * session lives and marks it offline when the session ends (stdin closed, SIGTERM or SIGINT).
 * Resolves once that is done and the database is closed; rejects when the environment is invalid
 * (EnvError, naming the variable) or the start fails.
 */
export async function runStdioServer(opts: StdioOptions): Promise<void> {
  const config = parseStdioEnv(opts.env);
  const { caller } = config;
  const log = opts.logger ?? stderrLogger(`mmos mcp [${caller.role} ${caller.callerId}]`);
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const embedded = !config.databaseUrl;
  let engine: Engine | undefined;
  try {
    engine = await openEngine({ url: config.databaseUrl, dataDir: config.dataDir });
    log.info(`database: ${embedded ? `embedded PGlite in ${config.dataDir}` : engine.kind}, tenant ${caller.tenantId}`);
    await deploy(engine, (line) => log.info(`deploy: ${line}`));
    const c = await createAppContainer({ engine, logger: log, toolsets: config.toolsets });

    const presence = config.registration ? new WorkerPresence(engine, caller, config.registration, log) : undefined;
    await presence?.start();

    const server = createMcpServer(resolve(c, TOKENS.mcpServerDeps), caller);
    const transport = new StdioServerTransport(stdin, stdout);
    let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
    const ended = new Promise<string>((done) => {
      // A second signal during shutdown (the client's SIGTERM after it closed stdin) must not cut
      // the unregister short, so the handlers stay until the end and only log repeats.
      let first = true;
      const finish = (reason: string) => {
        if (first) done(reason);
        first = false;
      };
      onSignal = (signal) => {
        if (!first) log.info(`${signal} while shutting down; finishing first`);
        finish(signal);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      stdin.once('end', () => finish('stdin closed'));
      stdin.once('close', () => finish('stdin closed'));
      transport.onclose = () => finish('transport closed');
    });
    await server.connect(transport);
    log.info(`ready: ${resolve(c, TOKENS.toolRegistry).list(caller.role).length} tools for ${caller.role} ${caller.callerId}`);

    const reason = await ended;
    log.info(`shutting down: ${reason}`);
    await presence?.stop();
    await server.close().catch((err) => log.error('closing the MCP server failed', err));
    if (onSignal) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  } finally {
    await engine?.close().catch((err) => log.error('closing the database failed', err));
  }
}

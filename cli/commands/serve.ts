import type { Command } from '../command.js';
import { intOption, stringOption } from '../command.js';
import { CliError } from '../errors.js';
import { DATABASE_HELP, DATABASE_OPTIONS, databaseTarget, describeTarget, explainOpenError } from '../database.js';
import { loadHub } from '../mcp-modules.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7337;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the hub: MCP over streamable HTTP with a bearer token per agent, plus the sweeps',
  usage: '[--url URL] [--data DIR] [--host 127.0.0.1] [--port 7337] [--origin ORIGIN ...]',
  help: [
    DATABASE_HELP,
    `  --host HOST   interface to listen on (default ${DEFAULT_HOST}; anything else exposes the hub to the network)`,
    `  --port PORT   port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`,
    '  --origin URL  a browser origin allowed to call the hub (repeatable); others are refused',
    '',
    'Prints the MCP URL on stdout and runs until Ctrl+C (SIGINT) or SIGTERM, then stops cleanly.',
    'With the embedded engine the hub is the only process that may open the data folder: agents',
    'reach it over HTTP with the tokens that `mmos init` or `mmos token create` made (run those',
    'while the hub is stopped).',
  ].join('\n'),
  options: {
    ...DATABASE_OPTIONS,
    host: { type: 'string' },
    port: { type: 'string' },
    origin: { type: 'string', multiple: true },
  },
  async run(ctx) {
    const target = databaseTarget(ctx);
    const host = stringOption(ctx.values, 'host') ?? DEFAULT_HOST;
    const port = intOption(ctx.values, 'port', DEFAULT_PORT, 0, 65535);
    const origins = ctx.values['origin'];
    const allowedOrigins = Array.isArray(origins) && origins.length ? origins : undefined;

    const { startHub } = await loadHub();
    // The embedded engine locks its data folder (db/data-dir-lock.ts) for as long as the hub runs.
    let hub: Awaited<ReturnType<typeof startHub>>;
    try {
      ctx.log(`starting the hub on the ${describeTarget(target)}`);
      hub = await startHub({ databaseUrl: target.url, dataDir: target.url ? undefined : target.dataDir, host, port, allowedOrigins });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliError(`port ${port} on ${host} is already in use (another hub?); choose another with --port`);
      }
      throw explainOpenError(target, err);
    }
    ctx.out(hub.mcpUrl);
    ctx.log(`hub running: MCP at ${hub.mcpUrl}, REST at ${hub.url}/api/tools; Ctrl+C stops it`);

    await new Promise<void>((resolveStop) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          ctx.log(`${signal} again: exiting without waiting`);
          process.exit(130);
        }
        stopping = true;
        ctx.log(`${signal}: stopping the hub`);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await hub.close();
    ctx.log('hub stopped');
    return 0;
  },
};

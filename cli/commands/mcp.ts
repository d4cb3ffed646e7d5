import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { loadStdio } from '../mcp-modules.js';

export const mcpCommand: Command = {
  name: 'mcp',
  summary: "the MCP server over stdio: what an agent's .mcp.json starts",
  usage: '',
  help: [
    'Identity and database come from the environment, as `mmos init` writes them into .mcp.json:',
    '  ROLE=admin|worker|reader, INSTANCE_NAME (admin), WORKER_ID, WORKER_NAME, WORKER_TYPE,',
    '  CAPABILITIES (workers), MMOS_DATABASE_URL, MMOS_TENANT (default: default).',
    'stdout carries the MCP protocol; logs go to stderr. A worker registers on start and heartbeats',
    'while the session lives. Use a server database here: every agent runs its own `mmos mcp`, and',
    'the embedded engine may be opened by one process only (use `mmos serve` for it).',
  ].join('\n'),
  options: {},
  async run(ctx) {
    const { runStdioServer } = await loadStdio();
    try {
      // Resolves when the agent's session ends (stdin closed, SIGINT, SIGTERM) and all is closed.
      await runStdioServer({ env: ctx.env });
    } catch (err) {
      const e = err as Error;
      // EnvError names every wrong variable; its message already starts with 'mmos mcp:'.
      if (e?.name === 'EnvError') throw new CliError(e.message.replace(/^mmos mcp:\s*/, ''));
      throw err;
    }
    return 0;
  },
};

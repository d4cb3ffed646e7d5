/**
 * Entry point of the stdio server: `node --import tsx mcp/stdio-main.ts` with the identity in the
 * environment (see mcp/env.ts). The CLI's `mmos mcp` calls runStdioServer the same way.
 */
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { EnvError } from './env.js';
import { describeError } from './log.js';
import { runStdioServer } from './stdio.js';

runStdioServer({ env: process.env }).then(
  () => process.exit(0),
  (err: unknown) => {
    const plain = err instanceof EnvError || err instanceof DataDirLockedError;
    process.stderr.write(plain ? `${(err as Error).message.replace(/^(?!mmos mcp)/, 'mmos mcp: ')}\n` : `mmos mcp: failed to start: ${describeError(err)}\n`);
    process.exit(1);
  },
);

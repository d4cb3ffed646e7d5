import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseCommandArgs, type Command, type CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import { dbDeployCommand } from './commands/db-deploy.js';
import { serveCommand } from './commands/serve.js';
import { mcpCommand } from './commands/mcp.js';
import { statusCommand } from './commands/status.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './commands/token.js';
import { initCommand } from './commands/init.js';
import { demoCommand } from './commands/demo.js';
import { workerCommand } from './commands/worker.js';
import { MmosError } from '../db/types.js';

export const COMMANDS: readonly Command[] = [
  initCommand,
  serveCommand,
  mcpCommand,
  workerCommand,
  statusCommand,
  dbDeployCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenRevokeCommand,
  demoCommand,
];

export interface MainIo {
  out?: (line: string) => void;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one `mmos` command line. Results go to `out` (stdout), everything else to `log` (stderr).
 * Returns the exit code: 0 done, 1 the command failed, 2 it was called wrongly; undefined while a
 * server command (serve, mcp) leaves the process running.
 */
export async function main(argv: string[], io: MainIo = {}): Promise<number | undefined> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = io.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = io.env ?? process.env;

  const first = argv[0];
  if (first === undefined) {
    log(globalHelp());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = argv.slice(1).join(' ');
    const cmd = topic ? findCommand(argv.slice(1))?.command : undefined;
    if (topic && !cmd) return usageFailure(log, new UsageError(`unknown command '${topic}'`));
    out(cmd ? commandHelp(cmd) : globalHelp());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    out(version());
    return 0;
  }

  const found = findCommand(argv);
  if (!found) return usageFailure(log, unknownCommand(argv));
  const { command, rest } = found;
  try {
    const parsed = parseCommandArgs(command, rest);
    if (parsed.help) {
      out(commandHelp(command));
      return 0;
    }
    const ctx: CommandContext = { values: parsed.values, positionals: parsed.positionals, out, log, env };
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(log, err, command);
    log(`mmos ${command.name}: ${describeFailure(err)}`);
    if (env['MMOS_DEBUG'] && err instanceof Error && err.stack) log(err.stack);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof MmosError) return `error ${err.number} (${err.kind}): ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Longest match first: 'token create' before a hypothetical 'token'. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

function unknownCommand(argv: string[]): UsageError {
  const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
  if (group.length) {
    const sub = argv[1];
    const names = group.map((c) => c.name.split(' ')[1]).join(', ');
    return new UsageError(sub === undefined || sub.startsWith('-') ? `'mmos ${argv[0]}' needs a subcommand: ${names}` : `unknown command 'mmos ${argv[0]} ${sub}' (${argv[0]} has: ${names})`);
  }
  return new UsageError(`unknown command '${argv[0]}'`);
}

function usageFailure(log: (line: string) => void, err: UsageError, command?: Command): number {
  const name = command?.name ?? err.command;
  log(`mmos${name ? ` ${name}` : ''}: ${err.message}`);
  log(name ? `Run 'mmos ${name} --help' for its options.` : "Run 'mmos --help' for the commands.");
  return 2;
}

export function commandHelp(c: Command): string {
  const usage = `Usage: mmos ${c.name}${c.usage ? ` ${c.usage}` : ''}`;
  return [usage, '', `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`, '', c.help, '  -h, --help    this text'].join('\n');
}

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: mmos <command> [options]',
    '',
    'MMOS: several AI coding agents working as one team, coordinated by stored procedures.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'mmos <command> --help' for a command's options.",
    'Environment: MMOS_DATABASE_URL (server database), MMOS_DATA_DIR (embedded data folder),',
    'MMOS_TENANT (default: default), MMOS_DEBUG=1 (stack traces).',
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `mmos ${pkg.version}`;
}

/**
 * Runs main as the whole process: bin/mmos.mjs calls this, and so does `tsx cli/main.ts` (the npm
 * scripts). Output drains and the process exits on an empty event loop; a handle some library
 * leaves open must not keep a finished command alive, so it exits anyway shortly after (the timer
 * is unref'd: it never delays a clean exit).
 */
export async function runAsProcess(argv: string[]): Promise<void> {
  const code = await main(argv);
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runAsProcess(process.argv.slice(2));

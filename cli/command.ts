import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** What a command sees: its parsed flags and positionals, and where results and logs go. */
export interface CommandContext<V = Record<string, string | boolean | string[] | undefined>> {
  values: V;
  positionals: string[];
  /** Results: tables, URLs, reports. */
  out: (line: string) => void;
  /** Logs and progress, never mixed into results (stdout carries the protocol in `mmos mcp`). */
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** The words that select it: 'serve', 'db deploy', 'token create'. */
  name: string;
  summary: string;
  /** Usage line after 'mmos <name>', e.g. '[DIR] [--workers N]'. */
  usage: string;
  /** Help text shown by --help after the usage line: one line per option, then notes. */
  help: string;
  options: OptionSpec;
  /** How many positionals the command accepts (default 0). */
  maxPositionals?: number;
  /** Resolves to the exit code; `undefined` lets a long-running server decide when the process ends. */
  run(ctx: CommandContext): Promise<number | undefined>;
}

/** Parses argv for one command with node:util parseArgs; unknown flags and extra words are usage errors. */
export function parseCommandArgs(command: Command, argv: string[]): { values: CommandContext['values']; positionals: string[]; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err), command.name);
  }
  const values = parsed.values as CommandContext['values'];
  const help = values['help'] === true;
  delete values['help'];
  const max = command.maxPositionals ?? 0;
  if (!help && parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max).map((p) => `'${p}'`).join(', ');
    throw new UsageError(`unexpected argument ${extra}`, command.name);
  }
  return { values, positionals: parsed.positionals, help };
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = String(e.message ?? err);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /Unknown option '([^']+)'/.exec(msg);
    return `unknown option ${m ? `'${m[1]}'` : msg}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return msg.replace(/^Option /, 'option ').replace(/\.$/, '');
  return msg;
}

/** Reads an option that must be a positive integer. */
export function intOption(values: CommandContext['values'], name: string, fallback: number, min = 1, max = 1_000_000): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${String(raw)}'`);
  return n;
}

export function stringOption(values: CommandContext['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

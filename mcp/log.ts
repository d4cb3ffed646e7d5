/**
 * Logs go to stderr, always: in stdio mode stdout carries the MCP protocol, and one rule for both
 * modes means no line can ever corrupt it.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Logs the detail (stack included) that clients never see. */
  error(message: string, err?: unknown): void;
}

export function stderrLogger(prefix = 'mmos'): Logger {
  const write = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${prefix} ${level} ${message}\n`);
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m, err) => write('error', err === undefined ? m : `${m}: ${describeError(err)}`),
  };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

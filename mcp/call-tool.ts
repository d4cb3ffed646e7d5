import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Engine, ErrorKind, ErrorNumber, Row } from '../db/types.js';
import { MmosError } from '../db/types.js';
import type { Logger } from './log.js';
import type { Caller, ToolRegistry } from './tool-registry.js';

/** What went wrong, in the words a client may see: never a stack trace, never driver internals. */
export interface ToolFailure {
  /** The procedure's error number (docs/conventions.md#errors); absent for unknown tools and internal errors. */
  number?: ErrorNumber;
  kind: ErrorKind | 'unknown_tool' | 'internal';
  message: string;
}

export type ToolOutcome = { ok: true; rows: Row[] } | { ok: false; error: ToolFailure };

export const INTERNAL_ERROR_MESSAGE = 'internal error, see server log';
const MAX_NAME_IN_MESSAGE = 100;

/**
 * Runs one tool call for an authenticated caller; shared by MCP (tools/call) and the REST mirror.
 * A call never throws: refusals become failures the client can read, anything else is logged to
 * stderr in full and reported as a generic internal error.
 */
export class ToolCaller {
  constructor(
    private readonly engine: Engine,
    private readonly registry: ToolRegistry,
    private readonly log: Logger,
  ) {}

  async call(caller: Caller, name: string, args: unknown): Promise<ToolOutcome> {
    const shownName = JSON.stringify(String(name).slice(0, MAX_NAME_IN_MESSAGE));
    const tool = this.registry.find(caller.role, name);
    if (!tool) {
      this.log.warn(`${who(caller)} called unknown or forbidden tool ${shownName}`);
      return { ok: false, error: { kind: 'unknown_tool', message: `unknown tool: ${shownName}` } };
    }
    const started = Date.now();
    try {
      const rows = await tool.invoke(this.engine, caller, args);
      this.log.info(`${who(caller)} ${name}: ${rows.length} row(s) in ${Date.now() - started} ms`);
      return { ok: true, rows };
    } catch (err) {
      if (err instanceof MmosError) {
        this.log.info(`${who(caller)} ${name}: error ${err.number} (${err.kind}): ${err.message}`);
        return { ok: false, error: { number: err.number, kind: err.kind, message: err.message } };
      }
      this.log.error(`${who(caller)} ${name} failed`, err);
      return { ok: false, error: { kind: 'internal', message: INTERNAL_ERROR_MESSAGE } };
    }
  }
}

function who(caller: Caller): string {
  return `${caller.role} ${caller.callerId}@${caller.tenantId}`;
}

/** The text a failure shows: `error 50404 (not_found): task 42 not found`. */
export function failureText(error: ToolFailure): string {
  return error.number !== undefined ? `error ${error.number} (${error.kind}): ${error.message}` : error.message;
}

/**
 * MCP result: structured rows matching the tool's outputSchema ({ rows }), plus the same as text
 * (a one-line summary, then compact JSON) for clients that read only text.
 */
export function toCallToolResult(name: string, outcome: ToolOutcome): CallToolResult {
  if (!outcome.ok) return { isError: true, content: [{ type: 'text', text: failureText(outcome.error) }] };
  const { rows } = outcome;
  const summary = `${name}: ${rows.length} row${rows.length === 1 ? '' : 's'}`;
  return {
    content: [{ type: 'text', text: `${summary}\n${JSON.stringify(rows)}` }],
    structuredContent: { rows },
  };
}

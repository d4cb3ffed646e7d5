import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DetachedStdioClientTransport } from './stdio-transport.js';

/**
 * The worker's only door into MMOS: MCP tool calls. The same worker runs against the HTTP hub
 * (bearer token -> identity) and against a stdio server it spawns with its identity in the
 * environment, because both are just a ToolCaller.
 */
export interface ToolCaller {
  /** Calls one tool; returns its result rows. A refused call throws ToolCallError. */
  call<T = Record<string, unknown>>(tool: string, args?: Record<string, unknown>): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A tool answered with isError. `number`/`kind` come from the server's text
 * 'error <number> (<kind>): <message>'; both are null when the text has another shape
 * (an SDK-level validation error, an unknown tool).
 */
export class ToolCallError extends Error {
  constructor(
    readonly tool: string,
    readonly number: number | null,
    readonly kind: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ToolCallError';
  }
}

const ERROR_TEXT = /^\s*error\s+(\d+)\s+\(([a-z_]+)\)\s*:\s*([\s\S]*)$/i;

/** Parses 'error 50404 (not_found): task 42 not found'; other text keeps number and kind null. */
export function parseToolError(tool: string, text: string): ToolCallError {
  const m = ERROR_TEXT.exec(text);
  if (!m) return new ToolCallError(tool, null, null, text.trim() || `${tool} failed`);
  return new ToolCallError(tool, Number(m[1]), m[2]!.toLowerCase(), m[3]!.trim());
}

interface ToolResultLike {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown;
}

function textOf(result: ToolResultLike): string {
  if (!Array.isArray(result.content)) return '';
  return result.content
    .filter((c): c is { type: 'text'; text: string } => !!c && typeof c === 'object' && (c as { type?: unknown }).type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** Rows from a tool result: structuredContent.rows, else the text content parsed as JSON. */
export function rowsOf<T>(tool: string, result: ToolResultLike): T[] {
  if (result.isError) throw parseToolError(tool, textOf(result));
  const structured = result.structuredContent as { rows?: unknown } | undefined;
  if (structured && Array.isArray(structured.rows)) return structured.rows as T[];
  const text = textOf(result);
  if (!text.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ToolCallError(tool, null, null, `${tool} returned text that is not JSON: ${text.slice(0, 200)}`);
  }
  if (Array.isArray(parsed)) return parsed as T[];
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { rows?: unknown }).rows)) return (parsed as { rows: T[] }).rows;
  return [parsed as T];
}

/** A ToolCaller over a connected MCP SDK client. */
export class McpToolCaller implements ToolCaller {
  constructor(private readonly client: Client) {}

  async call<T = Record<string, unknown>>(tool: string, args: Record<string, unknown> = {}): Promise<T[]> {
    const result = (await this.client.callTool({ name: tool, arguments: args })) as ToolResultLike;
    return rowsOf<T>(tool, result);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

async function connect(transport: Transport, name: string): Promise<McpToolCaller> {
  const client = new Client({ name, version: '0.1.0' });
  await client.connect(transport);
  return new McpToolCaller(client);
}

/** Connects to the hub's streamable HTTP endpoint with a bearer token (the token names the worker). */
export function connectHttp(url: string, token: string, clientName = 'mmos-worker'): Promise<McpToolCaller> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  return connect(transport, clientName);
}

export interface StdioServerCommand {
  command: string;
  args: string[];
  /** The full environment of the server, identity included (ROLE, WORKER_ID, ...). */
  env: Record<string, string>;
  cwd?: string;
}

/** Spawns `mmos mcp` (or any stdio MCP server) in its own process group and connects; its stderr goes to ours. */
export function connectStdio(server: StdioServerCommand, clientName = 'mmos-worker'): Promise<McpToolCaller> {
  return connect(new DetachedStdioClientTransport(server), clientName);
}

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Role } from '../../db/call.js';
import type { Engine } from '../../db/types.js';
import { openEngine } from '../../db/open.js';
import { startHub, type Hub } from '../../mcp/hub.js';
import { createToken } from '../../mcp/tokens.js';
import type { Logger } from '../../mcp/log.js';
import { unique } from './identity.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A logger that keeps lines for assertions (and stays quiet), instead of writing to stderr. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m, err) => lines.push(`error ${m}${err === undefined ? '' : `: ${err instanceof Error ? err.stack ?? err.message : String(err)}`}`),
  };
}

export interface TestHub {
  hub: Hub;
  engine: Engine;
  tenantId: string;
  log: ReturnType<typeof memoryLogger>;
  /** Makes an agent token in this hub's tenant. */
  token(agentId: string, role: Role): Promise<string>;
  close(): Promise<void>;
}

/** A hub on a free port over an in-memory PGlite, its own tenant, sweeps off unless asked. */
export async function startTestHub(o: { sweepIntervalSeconds?: number; allowedOrigins?: string[] } = {}): Promise<TestHub> {
  const engine = await openEngine({ dataDir: 'memory' });
  const log = memoryLogger();
  const hub = await startHub({ engine, port: 0, sweepIntervalSeconds: o.sweepIntervalSeconds ?? 0, logger: log, ...(o.allowedOrigins ? { allowedOrigins: o.allowedOrigins } : {}) });
  const tenantId = unique('tenant');
  return {
    hub,
    engine,
    tenantId,
    log,
    token: async (agentId, role) => (await createToken(engine, { tenantId, agentId, role, label: 'test' })).token,
    async close() {
      await hub.close();
      await engine.close();
    },
  };
}

/** An MCP client over streamable HTTP with a bearer token. */
export async function httpClient(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mmos-test', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

/**
 * An MCP client of a real stdio server process (node --import tsx mcp/stdio-main.ts) with the
 * given environment. The server's stderr is collected for assertions and failure messages.
 */
export async function stdioClient(env: Record<string, string>): Promise<{ client: Client; stderr: () => string; close(): Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'mcp', 'stdio-main.ts')],
    cwd: REPO_ROOT,
    env,
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const client = new Client({ name: 'mmos-test', version: '0.0.0' });
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`stdio server did not start: ${(e as Error).message}\n${err}`);
  }
  return { client, stderr: () => err, close: () => client.close() };
}

/** The rows of a successful call; fails with the error text otherwise. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`tool call failed: ${textOf(r)}`);
  return (r.structuredContent as { rows: Record<string, unknown>[] }).rows;
}

export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { MmosError } from '../db/types.js';
import type { ToolDefinition } from '../db/call.js';
import { toCallToolResult, type ToolCaller } from './call-tool.js';
import type { PromptCatalog } from './prompts.js';
import type { Caller, ToolRegistry } from './tool-registry.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface McpServerDeps {
  registry: ToolRegistry;
  caller: ToolCaller;
  prompts: PromptCatalog;
}

/** The MCP form of a tool definition: the generated JSON Schemas and annotations as they are. */
export function toMcpTool(d: ToolDefinition): Tool {
  return {
    name: d.name,
    title: d.title,
    description: d.description,
    inputSchema: d.inputSchema as Tool['inputSchema'],
    outputSchema: d.outputSchema as Tool['outputSchema'],
    annotations: { title: d.title, ...d.annotations },
  };
}

/**
 * One MCP server bound to one authenticated caller. The low-level Server rather than McpServer:
 * the tools arrive as JSON Schema from the generated table (McpServer wants zod shapes to derive
 * them), input is validated by the generated wrappers, and the list differs per caller.
 * Prompts are registered (and the capability announced) for the admin only.
 */
export function createMcpServer(deps: McpServerDeps, who: Caller): Server {
  const isAdmin = who.role === 'admin';
  const server = new Server(
    { name: 'mmos', title: 'MMOS', version: VERSION },
    {
      capabilities: isAdmin ? { tools: {}, prompts: {} } : { tools: {} },
      instructions:
        `MMOS tools for ${who.role} "${who.callerId}" (tenant "${who.tenantId}"). ` +
        'Your identity is filled by the server from your credentials: never pass tenantId or callerId. ' +
        'Errors read "error <number> (<kind>): <message>"; the message names what to fix.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: deps.registry.list(who.role).map((t) => toMcpTool(t.definition)),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params;
    return toCallToolResult(name, await deps.caller.call(who, name, args ?? {}));
  });

  if (isAdmin) {
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: deps.prompts.list() }));
    server.setRequestHandler(GetPromptRequestSchema, async (request) => {
      try {
        return deps.prompts.get(request.params.name, request.params.arguments ?? {});
      } catch (err) {
        if (err instanceof MmosError) throw new McpError(ErrorCode.InvalidParams, err.message);
        throw err;
      }
    });
  }
  return server;
}

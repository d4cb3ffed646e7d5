import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorNumber } from '../db/types.js';
import { BodyError, MAX_BODY_BYTES, readJsonBody, sendJson } from './http-util.js';
import type { ToolCaller, ToolFailure } from './call-tool.js';
import type { Caller, ToolRegistry } from './tool-registry.js';

/**
 * The REST mirror of the tools, for scripts: the same tools, the same bearer token, the same
 * validation and errors as MCP.
 *   GET  /api/tools         the caller's tools (name, title, description, toolset, schemas, annotations)
 *   POST /api/tools/<name>  JSON body = arguments -> 200 { rows }, or { error: { number, kind, message } }
 */

const STATUS: Record<ErrorNumber, number> = { 50400: 400, 50403: 403, 50404: 404, 50409: 409, 50412: 412 };

export function statusOf(error: ToolFailure): number {
  if (error.number !== undefined) return STATUS[error.number];
  return error.kind === 'unknown_tool' ? 404 : 500;
}

export async function handleRest(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Caller,
  deps: { registry: ToolRegistry; caller: ToolCaller },
): Promise<void> {
  if (path === '/api/tools') {
    if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
    const tools = deps.registry.list(who.role).map(({ definition: d }) => ({
      name: d.name, title: d.title, description: d.description, toolset: d.toolset,
      inputSchema: d.inputSchema, outputSchema: d.outputSchema, annotations: d.annotations,
    }));
    return sendJson(res, 200, { tools });
  }
  const name = decodeURIComponent(path.slice('/api/tools/'.length));
  if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
  let args: unknown;
  try {
    args = await readJsonBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyError)
      return sendJson(res, err.status, { error: { ...(err.status === 400 ? { number: 50400 } : {}), kind: 'invalid_argument', message: err.message } });
    throw err;
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return sendJson(res, 400, { error: { number: 50400, kind: 'invalid_argument', message: 'the request body must be a JSON object of arguments' } });
  const outcome = await deps.caller.call(who, name, args);
  if (outcome.ok) return sendJson(res, 200, { rows: outcome.rows });
  return sendJson(res, statusOf(outcome.error), { error: outcome.error });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: { kind: 'method_not_allowed', message: `use ${allow}` } }, { Allow: allow });
}

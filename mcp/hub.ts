import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { DEFAULT_DATA_DIR, openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import type { Engine } from '../db/types.js';
import type { Sweeper } from '../db/sweeper.js';
import { createAppContainer, resolve, TOKENS } from '../app/container.js';
import { INTERNAL_ERROR_MESSAGE } from './call-tool.js';
import { bearerToken, MAX_BODY_BYTES, sendJson } from './http-util.js';
import { stderrLogger, type Logger } from './log.js';
import { handleRest } from './rest.js';
import { createMcpServer, type McpServerDeps } from './server.js';
import { resolveToken } from './tokens.js';
import { SERVED_TOOLSETS, type Caller, type ServedToolset } from './tool-registry.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface HubOptions {
  /** postgres://, mssql://; absent: the embedded engine in dataDir. */
  databaseUrl?: string;
  /** Embedded engine folder (default .mmos/data); 'memory' for an in-memory database. */
  dataDir?: string;
  /** Default 127.0.0.1: the hub is reachable from this machine only unless told otherwise. */
  host?: string;
  /** Default 7337; 0 = any free port. */
  port?: number;
  /** Browser origins allowed besides http://127.0.0.1:<port> and http://localhost:<port>. */
  allowedOrigins?: string[];
  /** Seconds between sweeps, 1-59 (default 5); 0 = no sweeps in this process. */
  sweepIntervalSeconds?: number;
  /** An engine to serve instead of opening one (tests); the hub then leaves it open on close. */
  engine?: Engine;
  /** Toolsets to serve; default all four. */
  toolsets?: readonly ServedToolset[];
  logger?: Logger;
}

export interface Hub {
  /** Base URL, e.g. http://127.0.0.1:7337 (MCP at <url>/mcp, REST at <url>/api/tools). */
  url: string;
  mcpUrl: string;
  engine: Engine;
  close(): Promise<void>;
}

/**
 * `mmos serve`: one long-running process holding the database (the embedded engine allows one
 * process only), serving MCP over streamable HTTP at /mcp, the REST mirror at /api/tools, and
 * /healthz; it deploys the schema at start and runs the sweeps in process.
 *
 * Every request carries a bearer token (one per agent, stored hashed) that resolves to the caller's
 * tenant, id and role; the token is resolved on every request, so a revoked token stops working at
 * once. A request with an Origin header that is not allowed gets 403 (browsers), and so does a
 * request to a loopback-bound hub under another Host name (DNS rebinding).
 */
export async function startHub(opts: HubOptions = {}): Promise<Hub> {
  const log = opts.logger ?? stderrLogger('mmos serve');
  const host = opts.host ?? '127.0.0.1';
  const sweepEvery = opts.sweepIntervalSeconds ?? 5;
  const ownsEngine = !opts.engine;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  let engine: Engine | undefined = opts.engine;
  let sweeper: Sweeper | undefined;
  try {
    engine ??= await openEngine({ url: opts.databaseUrl, dataDir });
    await deploy(engine, (line) => log.info(`deploy: ${line}`));
    const c = await createAppContainer({ engine, logger: log, toolsets: opts.toolsets ?? SERVED_TOOLSETS, sweepEverySeconds: sweepEvery || 5 });
    if (sweepEvery > 0) {
      sweeper = resolve(c, TOKENS.sweeper);
      sweeper.start();
    }
    const deps = resolve(c, TOKENS.mcpServerDeps);
    const http = await listen(engine, deps, log, opts, host);
    const port = (http.address() as AddressInfo).port;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `http://${shownHost}:${port}`;
    log.info(`listening on ${url} (MCP ${url}/mcp, REST ${url}/api/tools), database ${engine.kind}${ownsEngine && !opts.databaseUrl ? ` in ${dataDir}` : ''}`);
    const theEngine = engine;
    let closed = false;
    return {
      url,
      mcpUrl: `${url}/mcp`,
      engine: theEngine,
      async close() {
        if (closed) return;
        closed = true;
        await new Promise<void>((done) => {
          http.close(() => done());
          http.closeAllConnections();
        });
        await sweeper?.stop();
        if (ownsEngine) await theEngine.close(); // releases the embedded data folder's lock
      },
    };
  } catch (err) {
    await sweeper?.stop().catch(() => undefined);
    if (ownsEngine) await engine?.close().catch(() => undefined);
    throw err;
  }
}

async function listen(engine: Engine, deps: McpServerDeps, log: Logger, opts: HubOptions, host: string): Promise<HttpServer> {
  let allowed = new Set<string>();
  let allowedHosts: Set<string> | undefined;
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error(`${req.method} ${req.url} failed`, err);
      sendJson(res, 500, { error: { kind: 'internal', message: INTERNAL_ERROR_MESSAGE } });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://hub').pathname;
    if (path === '/healthz') return sendJson(res, 200, { ok: true });

    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin))
      return sendJson(res, 403, { error: { kind: 'forbidden_origin', message: 'origin not allowed' } });
    // DNS rebinding: a page whose name was re-pointed at 127.0.0.1 is same-origin to the browser, but
    // its requests still carry that name in Host. A hub bound to loopback answers only its own names.
    if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase()))
      return sendJson(res, 403, { error: { kind: 'forbidden_host', message: 'host not allowed' } });
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES)
      return sendJson(res, 413, { error: { kind: 'invalid_argument', message: `request body is larger than ${MAX_BODY_BYTES} bytes` } });

    const isMcp = path === '/mcp';
    if (!isMcp && path !== '/api/tools' && !path.startsWith('/api/tools/'))
      return sendJson(res, 404, { error: { kind: 'not_found', message: 'no such endpoint' } });

    const token = bearerToken(req);
    const who = token ? await resolveToken(engine, token) : undefined;
    if (!who)
      return sendJson(res, 401, { error: { kind: 'unauthorized', message: 'a valid bearer token is required' } }, { 'WWW-Authenticate': 'Bearer realm="mmos"' });

    if (isMcp) return handleMcp(req, res, who, deps);
    return handleRest(req, res, path, who, deps);
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 7337, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowed = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, ...(opts.allowedOrigins ?? [])]);
  if (LOOPBACK.has(host.toLowerCase())) {
    const extra = (opts.allowedOrigins ?? []).flatMap((o) => {
      try {
        return [new URL(o).host.toLowerCase()];
      } catch {
        return [];
      }
    });
    allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...extra]);
  }
  return server;
}

/**
 * Stateless streamable HTTP: a fresh MCP server and transport per POST, no Mcp-Session-Id. Why:
 * the design runs several hubs behind a load balancer over a server database, and stateless
 * needs no session affinity and no session store; the tool list is fixed per caller, so there are
 * no server-initiated notifications that would need the GET stream (answered 405, which the SDK
 * client and Claude Code treat as "no stream"); and identity comes from the bearer token on every
 * request, never from a session. JSON responses instead of SSE: every request has one answer.
 */
async function handleMcp(req: IncomingMessage, res: ServerResponse, who: Caller, deps: McpServerDeps): Promise<void> {
  if (req.method !== 'POST') {
    return sendJson(
      res,
      405,
      { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; send requests with POST' }, id: null },
      { Allow: 'POST' },
    );
  }
  const server = createMcpServer(deps, who);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

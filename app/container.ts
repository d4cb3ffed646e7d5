import 'reflect-metadata';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { Engine } from '../db/types.js';
import { Sweeper } from '../db/sweeper.js';
import { ToolCaller } from '../mcp/call-tool.js';
import type { Logger } from '../mcp/log.js';
import { PromptCatalog } from '../mcp/prompts.js';
import type { McpServerDeps } from '../mcp/server.js';
import { queryViewTool, readViews } from '../mcp/sql-toolset.js';
import { generatedTools, ToolRegistry, type RegisteredTool, type ServedToolset } from '../mcp/tool-registry.js';

/**
 * The one place where the application is wired (tsyringe). Registrations use explicit tokens and
 * factories, never decorator metadata: esbuild (tsx, vitest) emits none. Both processes, the stdio
 * server and the hub, build their services here.
 */
export interface Token<T> {
  readonly key: symbol;
  /** Carries T for resolve(); never set. */
  readonly type?: T;
}
function token<T>(name: string): Token<T> {
  return { key: Symbol(`mmos.${name}`) };
}

export const TOKENS = {
  engine: token<Engine>('Engine'),
  logger: token<Logger>('Logger'),
  toolsets: token<readonly ServedToolset[]>('Toolsets'),
  sweepEverySeconds: token<number>('SweepEverySeconds'),
  handWrittenTools: token<readonly RegisteredTool[]>('HandWrittenTools'),
  toolRegistry: token<ToolRegistry>('ToolRegistry'),
  toolCaller: token<ToolCaller>('ToolCaller'),
  prompts: token<PromptCatalog>('PromptCatalog'),
  mcpServerDeps: token<McpServerDeps>('McpServerDeps'),
  sweeper: token<Sweeper>('Sweeper'),
} as const;

export function resolve<T>(c: DependencyContainer, t: Token<T>): T {
  return c.resolve<T>(t.key);
}

export interface AppOptions {
  engine: Engine;
  logger: Logger;
  toolsets: readonly ServedToolset[];
  /** Seconds between sweeps (hub only; the Sweeper is built only when resolved). Default 5. */
  sweepEverySeconds?: number;
}

/** A container for one process. Async because the sql toolset reads the deployed views once, here. */
export async function createAppContainer(o: AppOptions): Promise<DependencyContainer> {
  const c = rootContainer.createChildContainer();
  c.register(TOKENS.engine.key, { useValue: o.engine });
  c.register(TOKENS.logger.key, { useValue: o.logger });
  c.register(TOKENS.toolsets.key, { useValue: o.toolsets });
  c.register(TOKENS.sweepEverySeconds.key, { useValue: o.sweepEverySeconds ?? 5 });

  const views = await readViews(o.engine);
  const queryView = queryViewTool(views, (line) => o.logger.warn(line));
  if (!queryView) o.logger.warn('no views deployed: the sql toolset (query_view) is not served');
  c.register(TOKENS.handWrittenTools.key, { useValue: queryView ? [queryView] : [] });

  c.register(TOKENS.toolRegistry.key, {
    useFactory: instanceCachingFactory((r) => new ToolRegistry([...generatedTools(), ...resolve(r, TOKENS.handWrittenTools)], resolve(r, TOKENS.toolsets))),
  });
  c.register(TOKENS.toolCaller.key, {
    useFactory: instanceCachingFactory((r) => new ToolCaller(resolve(r, TOKENS.engine), resolve(r, TOKENS.toolRegistry), resolve(r, TOKENS.logger))),
  });
  c.register(TOKENS.prompts.key, { useFactory: instanceCachingFactory(() => new PromptCatalog()) });
  c.register(TOKENS.mcpServerDeps.key, {
    useFactory: instanceCachingFactory((r) => ({
      registry: resolve(r, TOKENS.toolRegistry),
      caller: resolve(r, TOKENS.toolCaller),
      prompts: resolve(r, TOKENS.prompts),
    })),
  });
  c.register(TOKENS.sweeper.key, {
    useFactory: instanceCachingFactory((r) => {
      const log = resolve(r, TOKENS.logger);
      return new Sweeper(resolve(r, TOKENS.engine), { everySeconds: resolve(r, TOKENS.sweepEverySeconds), log: (line) => log.info(line) });
    }),
  });
  // Fail at start, not at the first call, when the tool table is inconsistent (bad toolset, duplicate name).
  resolve(c, TOKENS.toolRegistry);
  return c;
}

import type { Identity, Role, Toolset, ToolDefinition } from '../db/call.js';
import type { CallOptions, Engine, Row } from '../db/types.js';
import * as generated from '../generated/index.js';

/** Who is calling, as authenticated by the server (environment in stdio mode, bearer token over HTTP). */
export interface Caller {
  tenantId: string;
  /** The worker id for a worker, the instance name for the admin. */
  callerId: string;
  role: Role;
}

export const ROLES: readonly Role[] = ['admin', 'worker', 'reader'];

/** The four MCP servers of the original notes, served as toolsets of this one server. */
export const SERVED_TOOLSETS = ['orchestrator', 'executor', 'workers', 'sql'] as const;
export type ServedToolset = (typeof SERVED_TOOLSETS)[number];
const KNOWN_TOOLSETS: readonly Toolset[] = [...SERVED_TOOLSETS, 'cli'];

/** A tool the server can list and call: a generated procedure wrapper, or the hand-written query_view. */
export interface RegisteredTool {
  definition: ToolDefinition;
  /** Validates args, fills identity from the caller and runs under the caller's database role. */
  invoke(engine: Engine, caller: Caller, args: unknown): Promise<Row[]>;
}

type Wrapper = (engine: Engine, identity: Identity, input: unknown, options?: CallOptions) => Promise<Row[]>;

/**
 * One tool per entry of generated/index.ts's toolTable. The call goes through the entry's generated
 * wrapper, which validates the input with the procedure's zod schema, refusing unknown keys such as
 * tenantId or callerId, before it fills identity.
 */
export function generatedTools(table: typeof generated.toolTable = generated.toolTable): RegisteredTool[] {
  return table.map(({ tool, call }) => {
    const wrapper = call as unknown as Wrapper;
    return {
      definition: tool,
      invoke: (engine, caller, args) =>
        wrapper(engine, { tenantId: caller.tenantId, callerId: caller.callerId, role: caller.role }, args ?? {}, { role: caller.role }),
    };
  });
}

/**
 * Whether a role may see and call a tool. The database enforces the same rule (each call runs under
 * the caller's database role, which has EXECUTE only on its procedures); this filter keeps tools a
 * caller may not use out of its list, so an agent is never offered what it cannot do.
 */
export function mayUse(role: Role, tool: ToolDefinition, enabled: ReadonlySet<Toolset>): boolean {
  if (tool.toolset === 'cli' || !enabled.has(tool.toolset)) return false;
  if (!tool.roles.includes(role)) return false;
  // A reader gets read-only queries over the views and nothing else, whatever a header says.
  return role !== 'reader' || tool.toolset === 'sql';
}

/** Parses a comma list of toolsets (MMOS_TOOLSETS, --toolsets); empty or undefined: all four. */
export function parseToolsets(text: string | undefined): ServedToolset[] {
  const names = (text ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!names.length) return [...SERVED_TOOLSETS];
  const bad = names.filter((n) => !(SERVED_TOOLSETS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown toolset(s) ${bad.join(', ')}: use ${SERVED_TOOLSETS.join(', ')}`);
  return [...new Set(names)] as ServedToolset[];
}

/** The tools this server serves, filtered per caller. Knows nothing of what the tools do. */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly enabled: ReadonlySet<Toolset>;

  constructor(tools: readonly RegisteredTool[], toolsets: readonly ServedToolset[] = SERVED_TOOLSETS) {
    this.enabled = new Set<Toolset>(toolsets);
    for (const t of tools) {
      const d = t.definition;
      if (!KNOWN_TOOLSETS.includes(d.toolset)) throw new Error(`tool ${d.name}: unknown toolset '${String(d.toolset)}' (header @toolset)`);
      const badRole = d.roles.find((r) => !ROLES.includes(r));
      if (badRole) throw new Error(`tool ${d.name}: unknown role '${String(badRole)}' (header @roles)`);
      if (this.tools.has(d.name)) throw new Error(`two tools are named ${d.name}`);
      this.tools.set(d.name, t);
    }
  }

  /** The tools the role may see, in table order. */
  list(role: Role): RegisteredTool[] {
    return [...this.tools.values()].filter((t) => mayUse(role, t.definition, this.enabled));
  }

  /** The tool by name, only when the role may call it: a filtered-out tool is as unknown as a missing one. */
  find(role: Role, name: string): RegisteredTool | undefined {
    const t = this.tools.get(name);
    return t && mayUse(role, t.definition, this.enabled) ? t : undefined;
  }
}

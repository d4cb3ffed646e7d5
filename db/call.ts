import type { z } from 'zod';
import type { CallOptions, Engine, ProcedureSignature, Row } from './types.js';
import { MmosError } from './types.js';

/** Who is calling: filled by the server from a token or the environment, never from tool arguments. */
export type Role = 'admin' | 'worker' | 'reader';

export interface Identity {
  tenantId: string;
  /** Worker id for workers, instance name for the admin. */
  callerId: string;
  /** The caller's role, for the few procedures whose rule depends on it (e.g. who may review). Default 'admin'. */
  role?: Role;
}
/**
 * The four toolsets of the original notes' four servers, plus 'cli': procedures that have generated
 * wrappers for the command line (tokens, maintenance) but are never served as MCP tools.
 */
export type Toolset = 'orchestrator' | 'executor' | 'workers' | 'sql' | 'cli';

/** One MCP tool per procedure, emitted by codegen (generated/procedures/*.ts). */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  procedure: string;
  roles: readonly Role[];
  toolset: Toolset;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: false };
}

/**
 * What every generated wrapper does: validate the input against the procedure's schema (unknown
 * keys, identity included, are refused), add the caller's identity, call. A refusal here carries
 * error 50400 like the procedures' own, so callers handle one kind of error.
 */
export async function callProcedure<T extends Row>(
  engine: Engine,
  sig: ProcedureSignature,
  schema: z.ZodType,
  identity: Identity,
  input: unknown,
  options?: CallOptions,
): Promise<T[]> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw new MmosError(50400, describeIssues(sig.name, parsed.error));
  checkTenantId(sig, identity.tenantId);
  const args = {
    ...(parsed.data as Record<string, unknown>),
    tenantId: identity.tenantId,
    callerId: identity.callerId,
    callerRole: identity.role ?? 'admin',
  };
  return (await engine.call(sig, args, options)) as T[];
}

/**
 * Tenant ids are lower-case names. SQL Server compares text by the database's collation, by default
 * case-insensitive and blind to trailing spaces, so 'Acme' and 'acme ' would be one tenant there and
 * two on PostgreSQL; with one spelling per tenant, tenants stay apart on every engine. Undefined
 * is allowed where the procedure has a default (the sweeps: every tenant).
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkTenantId(sig: ProcedureSignature, tenantId: string | undefined): void {
  if (tenantId === undefined || !sig.params.some((p) => p.identity && p.name === 'tenantId')) return;
  if (!TENANT_ID_PATTERN.test(tenantId))
    throw new MmosError(50400, `invalid tenant id ${JSON.stringify(tenantId)}: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

function describeIssues(procedure: string, error: z.ZodError): string {
  const parts = error.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '';
    if (i.code === 'unrecognized_keys') return `unknown argument(s) ${(i as { keys: string[] }).keys.join(', ')}`;
    return where ? `${where}: ${i.message}` : i.message;
  });
  return `invalid arguments for ${procedure}: ${parts.join('; ')}`;
}

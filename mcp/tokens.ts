import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../db/call.js';
import type { Engine } from '../db/types.js';
import {
  createAgentToken,
  listAgentTokens,
  resolveAgentToken,
  revokeAgentToken,
  type ListAgentTokensRow,
  type RevokeAgentTokenRow,
} from '../generated/index.js';
import type { Caller } from './tool-registry.js';

/**
 * Bearer tokens of the hub's agents. A token is 32 random bytes, base64url, prefixed `mmos_` (so a
 * leaked one is recognisable in logs and secret scanners). Only its SHA-256 reaches the database;
 * the token is shown once, by the CLI, when it is made.
 */
export const TOKEN_PREFIX = 'mmos_';
const TOKEN_SHAPE = /^mmos_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreateTokenOptions {
  tenantId: string;
  /** The identity the token stands for: the worker id for a worker, the instance name for the admin. */
  agentId: string;
  role: Role;
  label?: string;
  /** Recorded as CreatedBy; default 'mmos-cli'. */
  createdBy?: string;
}

/** Makes a token for an agent and records its hash. The returned token is not stored anywhere. */
export async function createToken(engine: Engine, o: CreateTokenOptions): Promise<{ token: string; tokenId: number; agentId: string; role: Role }> {
  const token = generateToken();
  const rows = await createAgentToken(
    engine,
    { tenantId: o.tenantId, callerId: o.createdBy ?? 'mmos-cli', role: 'admin' },
    { agentId: o.agentId, role: o.role, tokenHash: hashToken(token), label: o.label ?? null },
    { role: 'admin' },
  );
  return { token, tokenId: Number(rows[0]!.tokenId), agentId: o.agentId, role: o.role };
}

/** Revokes an agent's active tokens, or one of them; refused with 50404 when none matches. */
export async function revokeToken(
  engine: Engine,
  o: { tenantId: string; agentId: string; tokenId?: number; revokedBy?: string },
): Promise<RevokeAgentTokenRow[]> {
  return revokeAgentToken(
    engine,
    { tenantId: o.tenantId, callerId: o.revokedBy ?? 'mmos-cli', role: 'admin' },
    { agentId: o.agentId, ...(o.tokenId !== undefined ? { tokenId: o.tokenId } : {}) },
    { role: 'admin' },
  );
}

/** The tenant's tokens (active only unless includeRevoked), never their hashes. */
export async function listTokens(
  engine: Engine,
  o: { tenantId: string; agentId?: string; includeRevoked?: boolean },
): Promise<ListAgentTokensRow[]> {
  return listAgentTokens(
    engine,
    { tenantId: o.tenantId, callerId: 'mmos-cli', role: 'admin' },
    { ...(o.agentId !== undefined ? { agentId: o.agentId } : {}), includeRevoked: o.includeRevoked ?? false },
    { role: 'admin' },
  );
}

/**
 * The caller a bearer token stands for, or undefined when it is malformed, unknown or revoked. A
 * malformed token is refused without a database round trip. Runs under the hub's own connection
 * role: there is no caller yet whose role could be used.
 */
export async function resolveToken(engine: Engine, token: string): Promise<Caller | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  // ResolveAgentToken takes no identity (the token names the tenant); the wrapper's identity is unused.
  const rows = await resolveAgentToken(engine, { tenantId: '', callerId: 'hub' }, { tokenHash: hashToken(token) });
  const r = rows[0];
  if (!r || !r.tenantId || !r.agentId) return undefined;
  if (r.role !== 'admin' && r.role !== 'worker' && r.role !== 'reader') return undefined;
  return { tenantId: r.tenantId, callerId: r.agentId, role: r.role };
}

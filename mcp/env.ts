import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../db/call.js';
import { DEFAULT_DATA_DIR } from '../db/open.js';
import type { RegisterWorkerInput } from '../generated/index.js';
import { parseToolsets, type Caller, type ServedToolset } from './tool-registry.js';

/**
 * The stdio server's identity and database, from the environment as in the original notes:
 *   ROLE=admin|worker|reader, INSTANCE_NAME (admin, reader), WORKER_ID, WORKER_NAME, WORKER_TYPE,
 *   CAPABILITIES=general,coding (worker), optional WORKER_CAPACITY, WORKER_MODEL, WORKER_TIER,
 *   WORKER_INPUT_PRICE, WORKER_OUTPUT_PRICE (USD per million tokens),
 *   MMOS_DATABASE_URL (absent: embedded PGlite in MMOS_DATA_DIR, default .mmos/data),
 *   MMOS_TENANT (default 'default'), MMOS_TOOLSETS (comma list; default all four).
 * ROLE may be left out when WORKER_ID is set (the notes' worker folders set no ROLE).
 */
export interface StdioConfig {
  caller: Caller;
  databaseUrl?: string;
  dataDir: string;
  toolsets: ServedToolset[];
  /** What RegisterWorker gets at start; set for workers only. */
  registration?: RegisterWorkerInput;
}

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max, `must be at most ${max} characters`).optional());
const int = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(blankToUndefined, z.coerce.number(message).int(message).min(min, message).max(max, message).optional());
};
const price = z.preprocess(blankToUndefined, z.coerce.number('must be a number').min(0, 'must be 0 or more (USD per million tokens)').optional());

const schema = z
  .object({
    ROLE: z.preprocess(
      (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toLowerCase()) : v),
      z.enum(['admin', 'worker', 'reader'], 'must be admin, worker or reader').optional(),
    ),
    INSTANCE_NAME: text(100),
    WORKER_ID: text(100),
    WORKER_NAME: text(200),
    WORKER_TYPE: text(50),
    WORKER_MODEL: text(100),
    CAPABILITIES: z.preprocess(blankToUndefined, z.string().optional()),
    WORKER_CAPACITY: int(1, 64),
    WORKER_TIER: int(1, 3),
    WORKER_INPUT_PRICE: price,
    WORKER_OUTPUT_PRICE: price,
    MMOS_DATABASE_URL: text(2000),
    MMOS_DATA_DIR: text(1000),
    MMOS_TENANT: z.preprocess(blankToUndefined, z.string().trim().regex(TENANT_ID_PATTERN, "must be 1-64 lower-case letters, digits, '.', '_' or '-'").optional()),
    MMOS_TOOLSETS: text(200),
  })
  .superRefine((e, ctx) => {
    const role = e.ROLE ?? (e.WORKER_ID ? 'worker' : undefined);
    const need = (key: keyof typeof e, why: string) => {
      if (!e[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    if (!role) ctx.addIssue({ code: 'custom', path: ['ROLE'], message: 'is required: set ROLE=admin, worker or reader (or WORKER_ID for a worker)' });
    if (role === 'worker') {
      need('WORKER_ID', 'for a worker (its identity)');
      need('WORKER_TYPE', 'for a worker (model family, e.g. Claude, Gemini, Codex)');
    }
    if (role === 'admin' || role === 'reader') need('INSTANCE_NAME', `for ROLE=${role} (its identity)`);
    if (e.CAPABILITIES !== undefined) {
      const bad = capabilityList(e.CAPABILITIES).filter((c) => c.length > 50);
      if (bad.length) ctx.addIssue({ code: 'custom', path: ['CAPABILITIES'], message: `names must be at most 50 characters: ${bad.join(', ')}` });
    }
  });

function capabilityList(textValue: string): string[] {
  return textValue.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Validates the environment; throws EnvError naming every variable that is wrong. */
export function parseStdioEnv(env: NodeJS.ProcessEnv): StdioConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0] ?? '(environment)')}: ${i.message}`);
    throw new EnvError(`mmos mcp: invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const role = e.ROLE ?? 'worker';
  let toolsets: ServedToolset[];
  try {
    toolsets = parseToolsets(e.MMOS_TOOLSETS);
  } catch (err) {
    throw new EnvError(`mmos mcp: invalid environment:\n  MMOS_TOOLSETS: ${(err as Error).message}`);
  }
  const tenantId = e.MMOS_TENANT ?? 'default';
  const base = { toolsets, dataDir: e.MMOS_DATA_DIR ?? DEFAULT_DATA_DIR, ...(e.MMOS_DATABASE_URL ? { databaseUrl: e.MMOS_DATABASE_URL } : {}) };
  if (role !== 'worker') return { ...base, caller: { tenantId, callerId: e.INSTANCE_NAME!, role } };

  const registration: RegisterWorkerInput = {
    instanceName: e.WORKER_NAME ?? e.WORKER_ID!,
    modelType: e.WORKER_TYPE!,
    ...(e.WORKER_MODEL !== undefined ? { modelName: e.WORKER_MODEL } : {}),
    ...(e.CAPABILITIES !== undefined ? { capabilities: capabilityList(e.CAPABILITIES) } : {}),
    ...(e.WORKER_CAPACITY !== undefined ? { workerCapacity: e.WORKER_CAPACITY } : {}),
    ...(e.WORKER_TIER !== undefined ? { qualityTier: e.WORKER_TIER } : {}),
    ...(e.WORKER_INPUT_PRICE !== undefined ? { inputUsdPerMillionTokens: e.WORKER_INPUT_PRICE } : {}),
    ...(e.WORKER_OUTPUT_PRICE !== undefined ? { outputUsdPerMillionTokens: e.WORKER_OUTPUT_PRICE } : {}),
  };
  return { ...base, caller: { tenantId, callerId: e.WORKER_ID!, role: 'worker' }, registration };
}

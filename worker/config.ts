import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registration } from './mmos-api.js';
import { resolvePreset, type PresetName } from './presets.js';
import { DEFAULT_TIMINGS, type WorkerOptions } from './worker.js';
import { splitCommand } from './command-line.js';
import type { StdioServerCommand } from './tool-caller.js';

/** A flag or environment value the worker cannot use; the CLI turns it into a usage error. */
export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

export type Connection = { kind: 'http'; url: string; token: string } | ({ kind: 'stdio' } & StdioServerCommand);

/** What the flags and environment decide: the worker's options, less what is made at start (the caller, the agents' environment, the log). */
export interface WorkerConfig extends Omit<WorkerOptions, 'caller' | 'agentEnv' | 'log'> {
  connection: Connection;
  /** The worker id the stdio server is started with; over HTTP the token decides it. */
  workerId: string | null;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

const MODEL_TYPES: Record<PresetName, string> = { claude: 'Claude', gemini: 'Gemini', codex: 'Codex', custom: 'Custom' };

/** `bin/mmos.mjs mcp` run by this Node: the stdio server of this very checkout. */
export function defaultStdioServer(): { command: string; args: string[] } {
  const bin = fileURLToPath(new URL('../bin/mmos.mjs', import.meta.url));
  return { command: process.execPath, args: [bin, 'mcp'] };
}

function text(values: FlagValues, flag: string, env: NodeJS.ProcessEnv, envName?: string): string | undefined {
  const v = values[flag];
  if (typeof v === 'string' && v.trim()) return v.trim();
  const e = envName ? env[envName] : undefined;
  return e && e.trim() ? e.trim() : undefined;
}

function whole(values: FlagValues, flag: string, env: NodeJS.ProcessEnv, envName: string | undefined, fallback: number, min: number, max: number): number {
  const raw = text(values, flag, env, envName);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new WorkerConfigError(`--${flag}${envName ? ` ($${envName})` : ''} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return Number(raw);
}

function price(values: FlagValues, flag: string, env: NodeJS.ProcessEnv, envName: string): number {
  const raw = text(values, flag, env, envName);
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(n)) throw new WorkerConfigError(`--${flag} ($${envName}) must be a price in USD per million tokens, e.g. 3 or 0.25, got '${raw}'`);
  return n;
}

/** A worker id fit for WORKER_ID: letters, digits, '.', '_', '-'. */
function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
}

/**
 * The worker's configuration from `mmos worker` flags, falling back to the environment the
 * original notes use (WORKER_ID, WORKER_NAME, WORKER_TYPE, CAPABILITIES) and MMOS_* variables.
 * Pure apart from reading the host name, so it is unit-tested.
 */
export function workerConfigFromFlags(values: FlagValues, env: NodeJS.ProcessEnv, cwd = process.cwd()): WorkerConfig {
  let resolved;
  try {
    resolved = resolvePreset(text(values, 'agent', env, 'MMOS_AGENT'), text(values, 'preset', env, 'MMOS_AGENT_PRESET'));
  } catch (err) {
    throw new WorkerConfigError((err as Error).message);
  }
  const { preset, template } = resolved;

  const hubUrl = text(values, 'hub', env, 'MMOS_HUB_URL');
  const explicitId = text(values, 'id', env, 'WORKER_ID');
  const name = text(values, 'name', env, 'WORKER_NAME') ?? explicitId ?? `${MODEL_TYPES[preset.name]}-Worker-${hostname()}`;
  const workerId = explicitId ?? slug(name);
  if (!workerId) throw new WorkerConfigError(`cannot make a worker id from the name '${name}': give --id`);

  const capabilitiesText = text(values, 'capabilities', env, 'CAPABILITIES') ?? 'general';
  const capabilities = [...new Set(capabilitiesText.split(',').map((c) => c.trim().toLowerCase()).filter(Boolean))];
  const capacity = whole(values, 'capacity', env, 'MMOS_WORKER_CAPACITY', 1, 1, 64);
  const registration: Registration = {
    instanceName: name,
    modelType: text(values, 'type', env, 'WORKER_TYPE') ?? MODEL_TYPES[preset.name],
    modelName: text(values, 'model', env, 'WORKER_MODEL') ?? null,
    capabilities,
    workerCapacity: capacity,
    qualityTier: whole(values, 'tier', env, 'MMOS_WORKER_TIER', 2, 1, 3),
    inputUsdPerMillionTokens: price(values, 'input-price', env, 'MMOS_INPUT_PRICE'),
    outputUsdPerMillionTokens: price(values, 'output-price', env, 'MMOS_OUTPUT_PRICE'),
  };

  let connection: Connection;
  if (hubUrl) {
    const token = text(values, 'token', env, 'MMOS_TOKEN');
    if (!token) throw new WorkerConfigError('--hub needs a worker token: --token TOKEN or $MMOS_TOKEN (mmos token create --role worker)');
    try {
      new URL(hubUrl);
    } catch {
      throw new WorkerConfigError(`--hub must be the hub's MCP URL, e.g. http://127.0.0.1:7337/mcp, got '${hubUrl}'`);
    }
    connection = { kind: 'http', url: hubUrl, token };
  } else {
    const mcpCommand = text(values, 'mcp-command', env, 'MMOS_MCP_COMMAND');
    const server = mcpCommand ? splitServer(mcpCommand) : defaultStdioServer();
    const databaseUrl = text(values, 'url', env, 'MMOS_DATABASE_URL');
    const serverEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (typeof v === 'string') serverEnv[k] = v;
    // The server registers the worker from these at start (and again if the row vanishes): the
    // same registration the worker sends, so neither overwrites the other with different values.
    Object.assign(serverEnv, {
      ROLE: 'worker',
      WORKER_ID: workerId,
      WORKER_NAME: name,
      WORKER_TYPE: registration.modelType,
      CAPABILITIES: capabilities.join(','),
      WORKER_CAPACITY: String(registration.workerCapacity),
      WORKER_TIER: String(registration.qualityTier),
      WORKER_INPUT_PRICE: String(registration.inputUsdPerMillionTokens),
      WORKER_OUTPUT_PRICE: String(registration.outputUsdPerMillionTokens),
    });
    if (registration.modelName) serverEnv['WORKER_MODEL'] = registration.modelName;
    else delete serverEnv['WORKER_MODEL'];
    if (databaseUrl) serverEnv['MMOS_DATABASE_URL'] = databaseUrl;
    connection = { kind: 'stdio', ...server, env: serverEnv };
  }

  const leaseSeconds = whole(values, 'lease-seconds', env, 'MMOS_LEASE_SECONDS', DEFAULT_TIMINGS.leaseSeconds, 3, 86_400);
  return {
    connection,
    registration,
    workerId: hubUrl ? null : workerId,
    preset,
    commandTemplate: template,
    workspaceRoot: path.resolve(cwd, text(values, 'workspace', env, 'MMOS_WORKSPACE') ?? path.join('.mmos', 'work', workerId)),
    leaseSeconds,
    taskTimeoutSeconds: whole(values, 'timeout-seconds', env, 'MMOS_TASK_TIMEOUT_SECONDS', DEFAULT_TIMINGS.taskTimeoutSeconds, 1, 7 * 86_400),
    killGraceMs: DEFAULT_TIMINGS.killGraceMs,
    shutdownGraceMs: whole(values, 'grace-seconds', env, 'MMOS_SHUTDOWN_GRACE_SECONDS', DEFAULT_TIMINGS.shutdownGraceMs / 1000, 0, 3600) * 1000,
    heartbeatMs: whole(values, 'heartbeat-seconds', env, 'MMOS_HEARTBEAT_SECONDS', DEFAULT_TIMINGS.heartbeatMs / 1000, 1, 3600) * 1000,
    pollMinMs: DEFAULT_TIMINGS.pollMinMs,
    pollMaxMs: DEFAULT_TIMINGS.pollMaxMs,
  };
}

function splitServer(line: string): { command: string; args: string[] } {
  let words: string[];
  try {
    words = splitCommand(line);
  } catch (err) {
    throw new WorkerConfigError(`--mcp-command: ${(err as Error).message}`);
  }
  if (!words.length) throw new WorkerConfigError('--mcp-command is empty');
  return { command: words[0]!, args: words.slice(1) };
}

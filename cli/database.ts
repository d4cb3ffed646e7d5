import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR, openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import { MmosError, type Engine } from '../db/types.js';
import type { Identity } from '../db/call.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { CliError } from './errors.js';
import { stringOption, type CommandContext, type OptionSpec } from './command.js';

/** --url / --data, shared by every command that opens the database. */
export const DATABASE_OPTIONS: OptionSpec = {
  url: { type: 'string' },
  data: { type: 'string' },
};

export const DATABASE_HELP = [
  '  --url URL     server database: postgres://... or mssql://... (default: $MMOS_DATABASE_URL;',
  '                none: the embedded engine)',
  `  --data DIR    data folder of the embedded engine (default: $MMOS_DATA_DIR or ${DEFAULT_DATA_DIR})`,
].join('\n');

export interface DatabaseTarget {
  url?: string;
  dataDir: string;
}

export function databaseTarget(ctx: Pick<CommandContext, 'values' | 'env'>): DatabaseTarget {
  const url = stringOption(ctx.values, 'url') ?? nonEmpty(ctx.env['MMOS_DATABASE_URL']);
  const dataDir = stringOption(ctx.values, 'data') ?? nonEmpty(ctx.env['MMOS_DATA_DIR']) ?? DEFAULT_DATA_DIR;
  return url ? { url, dataDir } : { dataDir };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.trim() ? v.trim() : undefined;
}

/** The CLI acts as the local administrator: tenant from MMOS_TENANT, caller 'mmos-cli'. */
export function cliIdentity(env: NodeJS.ProcessEnv): Identity {
  return { tenantId: nonEmpty(env['MMOS_TENANT']) ?? 'default', callerId: 'mmos-cli' };
}

/** A URL fit for a log line: the password replaced. */
export function describeTarget(target: DatabaseTarget): string {
  if (!target.url) return `embedded database in ${resolve(target.dataDir)}`;
  try {
    const u = new URL(target.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return target.url.replace(/:[^:@/]*@/, ':***@');
  }
}

export interface EngineUse {
  /**
   * Deploy before use. The embedded engine is private to this machine, so the CLI brings its
   * schema up to date itself; a server database is deployed deliberately (`mmos db deploy`).
   */
  deployEmbedded?: boolean;
  log?: (line: string) => void;
}

/** Opens the database for one command (the embedded engine locks its folder meanwhile) and always closes it. */
export async function withEngine<T>(target: DatabaseTarget, use: EngineUse, fn: (engine: Engine) => Promise<T>): Promise<T> {
  let engine: Engine;
  try {
    engine = await openEngine(target.url ? { url: target.url } : { dataDir: target.dataDir });
  } catch (err) {
    throw explainOpenError(target, err);
  }
  try {
    if (!target.url && use.deployEmbedded) await deploy(engine, (l) => use.log?.(`deploy: ${l}`));
    return await fn(engine);
  } catch (err) {
    throw explainUseError(err);
  } finally {
    await engine.close().catch(() => undefined);
  }
}

export function explainOpenError(target: DatabaseTarget, err: unknown): Error {
  if (err instanceof CliError) return err;
  const e = err as { code?: string; message?: string };
  const msg = String(e.message ?? err);
  const where = describeTarget(target);
  // The data folder's lock (db/data-dir-lock.ts) already says who holds it.
  if (err instanceof DataDirLockedError) return new CliError(msg);
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || /ECONNREFUSED|getaddrinfo/.test(msg))
    return new CliError(`cannot reach the database at ${where}: ${msg}`);
  if (e.code === '3D000') return new CliError(`the database in ${where} does not exist: create it first (${msg})`);
  if (e.code === '28P01' || e.code === 'ELOGIN') return new CliError(`the database at ${where} refused the login: ${msg}`);
  if (!target.url)
    return new CliError(
      `could not open the ${where}: ${msg}. If another process has it open (a hub started without the lock file), stop it first; ` +
        'if the folder is not an mmos data folder, point --data elsewhere.',
    );
  return new CliError(`could not open ${where}: ${msg}`);
}

/** A missing procedure or table means the schema was never deployed (or is older than this code). */
export function explainUseError(err: unknown): unknown {
  if (err instanceof MmosError || err instanceof CliError) return err;
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? '');
  if (e?.code === '42883' || e?.code === '42P01' || e?.code === '3F000' || /does not exist|Could not find stored procedure|Invalid object name/.test(msg))
    return new CliError(`${msg}: the database is not deployed or is older than this version of mmos; run \`mmos db deploy\` first`);
  return err;
}

import type { CallOptions, DbRole, LogicalType, ProcedureSignature } from './types.js';
import { MmosError, isErrorNumber } from './types.js';

/** PostgreSQL casts for each logical type, so overload resolution never guesses. */
const PG_CAST: Record<LogicalType, string> = {
  text: 'text', int: 'integer', bigint: 'bigint', decimal: 'numeric', bool: 'boolean',
  timestamp: 'timestamptz', uuid: 'uuid', json: 'jsonb',
};

/** The database role a call runs under (created by deploy; see sql/postgres/security). */
export const PG_ROLE: Record<DbRole, string> = { admin: 'mmos_admin', worker: 'mmos_worker', reader: 'mmos_reader' };

const IDENT = /^_?[a-z][a-z0-9_]*$/;

/**
 * The SET LOCAL statements a call's options need, run first in the call's own transaction. Only
 * fixed role names and an integer reach the text.
 */
export function pgLocalSettings(options?: CallOptions): string[] {
  const out: string[] = [];
  if (options?.role) out.push(`SET LOCAL ROLE ${PG_ROLE[options.role]}`);
  if (options?.timeoutMs !== undefined) {
    const ms = options.timeoutMs;
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`timeoutMs must be a positive integer, got ${String(ms)}`);
    out.push(`SET LOCAL statement_timeout = ${ms}`);
  }
  return out;
}

/**
 * Builds `SELECT * FROM mmos.fn(p_a => $1::type, ...)` for the arguments present. Only identifiers
 * from the generated signature reach the text (checked against IDENT); every value is a parameter.
 */
export function buildPgCall(sig: ProcedureSignature, args: Readonly<Record<string, unknown>>): { text: string; values: unknown[] } {
  if (!IDENT.test(sig.pgName)) throw new Error(`bad procedure name in signature: ${sig.pgName}`);
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const p of sig.params) {
    const v = args[p.name];
    if (v === undefined) continue; // omitted: the procedure's default applies
    if (!IDENT.test(p.pgName)) throw new Error(`bad parameter name in signature: ${p.pgName}`);
    values.push(p.type === 'json' ? jsonText(p.name, v) : v);
    parts.push(`${p.pgName} => $${values.length}::${PG_CAST[p.type]}`);
  }
  return { text: `SELECT * FROM mmos.${sig.pgName}(${parts.join(', ')})`, values };
}

/**
 * A JSON parameter travels as text. A string must already be JSON: refused here with 50400, as the
 * T-SQL twin's ISJSON check refuses it, rather than surfacing PostgreSQL's cast error.
 */
function jsonText(name: string, v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') return JSON.stringify(v);
  try {
    JSON.parse(v);
  } catch {
    throw new MmosError(50400, `${name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()} is not valid JSON`);
  }
  return v;
}

/** Turns a PostgreSQL error raised with ERRCODE 'MM4xx' into an MmosError; others pass through. */
export function mapPgError(err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && /^MM\d{3}$/.test(e.code)) {
    const n = 50000 + Number(e.code.slice(2));
    if (isErrorNumber(n)) return new MmosError(n, e.message ?? 'procedure error');
  }
  return err;
}

/**
 * The contract between generated wrappers and database engines. A ProcedureSignature is emitted by
 * codegen (generated/procedures/*.ts) from the database's own description of each procedure; an
 * Engine turns it into a parameterised call. No SQL text is ever built from argument values.
 */

/** Logical column/parameter types shared by both twins (see codegen/types.ts for the mapping). */
export type LogicalType = 'text' | 'int' | 'bigint' | 'decimal' | 'bool' | 'timestamp' | 'uuid' | 'json';

export interface ParamSignature {
  /** camelCase name used in TypeScript and tool input. */
  name: string;
  /** T-SQL parameter name without '@' (PascalCase). */
  sqlName: string;
  /** PostgreSQL parameter name (p_snake_case). */
  pgName: string;
  type: LogicalType;
  /** Character limit from the T-SQL signature (NVARCHAR(n)); undefined for MAX or non-text. */
  maxLength?: number;
  /** Numeric precision and scale for decimal parameters. */
  precision?: number;
  scale?: number;
  /** True when the procedure declares a default, so the argument may be omitted. */
  hasDefault: boolean;
  /** Filled by the server from the caller's identity; never accepted from a tool argument. */
  identity: boolean;
}

export interface ColumnSignature {
  name: string;
  sqlName: string;
  pgName: string;
  type: LogicalType;
}

export interface ProcedureSignature {
  /** PascalCase T-SQL name, e.g. ClaimNextTask. */
  name: string;
  /** snake_case PostgreSQL name, e.g. claim_next_task. */
  pgName: string;
  params: readonly ParamSignature[];
  columns: readonly ColumnSignature[];
}

export type EngineKind = 'pglite' | 'postgres' | 'mssql';

export type Row = Record<string, unknown>;

/** Which database role a call runs under; the engine switches to it, so the database enforces it too. */
export type DbRole = 'admin' | 'worker' | 'reader';

export interface CallOptions {
  /** Run the call under this database role (SET ROLE / EXECUTE AS). Omitted: the connection's own role. */
  role?: DbRole;
  /**
   * Cancel the statement after this many milliseconds (PostgreSQL: SET LOCAL statement_timeout;
   * SQL Server: the request's timeout). PGlite accepts the setting but has no timer to enforce it.
   * Omitted: the connection's default.
   */
  timeoutMs?: number;
}

export interface Engine {
  readonly kind: EngineKind;
  /** Calls one procedure with camelCase arguments; returns its single result set with camelCase keys. */
  call(sig: ProcedureSignature, args: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<Row[]>;
  /**
   * Runs a fixed query text with positional parameters ($1.. on PostgreSQL, @p1.. on SQL Server).
   * For deploy, the sql toolset's view reads and tests; never with text derived from input.
   */
  query(sqlText: string, params?: readonly unknown[], options?: CallOptions): Promise<Row[]>;
  /** Runs a script of several statements (deploy only). */
  execScript(sqlText: string): Promise<void>;
  /** Runs fn while holding the engine's application lock (pg_advisory_lock / sp_getapplock). */
  withAppLock<T>(resource: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Numbered procedure errors (docs/conventions.md#errors). */
export const ERROR_KINDS = {
  50400: 'invalid_argument',
  50403: 'not_allowed',
  50404: 'not_found',
  50409: 'wrong_state',
  50412: 'lease_mismatch',
} as const;
export type ErrorNumber = keyof typeof ERROR_KINDS;
export type ErrorKind = (typeof ERROR_KINDS)[ErrorNumber];

/** A refusal raised by a procedure: a stable number and a message that names what was wrong. */
export class MmosError extends Error {
  readonly number: ErrorNumber;
  readonly kind: ErrorKind;
  constructor(number: ErrorNumber, message: string) {
    super(message);
    this.name = 'MmosError';
    this.number = number;
    this.kind = ERROR_KINDS[number];
  }
}

export function isErrorNumber(n: number): n is ErrorNumber {
  return Object.prototype.hasOwnProperty.call(ERROR_KINDS, n);
}

import type { LogicalType } from '../db/types.js';

/** PostgreSQL catalog type (format_type output) -> logical type. */
export function logicalFromPg(pgType: string): LogicalType {
  const t = pgType.replace(/\(.*\)$/, '').trim();
  switch (t) {
    case 'text': case 'character varying': case 'character': return 'text';
    case 'integer': case 'smallint': return 'int';
    case 'bigint': return 'bigint';
    case 'numeric': return 'decimal';
    case 'boolean': return 'bool';
    case 'timestamp with time zone': return 'timestamp';
    case 'uuid': return 'uuid';
    case 'jsonb': case 'json': return 'json';
    default: throw new Error(`no logical type for PostgreSQL type '${pgType}'`);
  }
}

/** T-SQL declared type -> logical types it may stand for (NVARCHAR(MAX) carries text or JSON). */
export function logicalFromTsql(tsqlType: string): LogicalType[] {
  const t = tsqlType.toUpperCase().replace(/\s+/g, '');
  if (/^NVARCHAR\(MAX\)$/.test(t)) return ['text', 'json'];
  if (/^N?VARCHAR\(\d+\)$/.test(t) || /^N?CHAR\(\d+\)$/.test(t)) return ['text'];
  if (t === 'INT' || t === 'SMALLINT' || t === 'TINYINT') return ['int'];
  if (t === 'BIGINT') return ['bigint'];
  if (/^DECIMAL\(\d+,\d+\)$/.test(t) || /^NUMERIC\(\d+,\d+\)$/.test(t)) return ['decimal'];
  if (t === 'BIT') return ['bool'];
  if (/^DATETIME2(\(\d\))?$/.test(t) || /^DATETIMEOFFSET(\(\d\))?$/.test(t)) return ['timestamp'];
  if (t === 'UNIQUEIDENTIFIER') return ['uuid'];
  throw new Error(`no logical type for T-SQL type '${tsqlType}'`);
}

/** TypeScript type of a logical value as the engines return it (db/values.ts). */
export const TS_TYPE: Record<LogicalType, string> = {
  text: 'string', int: 'number', bigint: 'number', decimal: 'number', bool: 'boolean',
  timestamp: 'string', uuid: 'string', json: 'unknown',
};

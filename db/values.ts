import type { ColumnSignature, LogicalType, Row } from './types.js';

/**
 * Engines return the same logical value whatever the driver gives: ids and counts as numbers,
 * money as numbers, times as ISO-8601 strings, JSON as parsed values, uuids as lower-case strings.
 */
export function normalizeValue(type: LogicalType, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case 'int':
    case 'bigint':
    case 'decimal':
      return typeof raw === 'number' ? raw : Number(raw);
    case 'bool':
      return typeof raw === 'boolean' ? raw : raw === 1 || raw === '1' || raw === 't' || raw === 'true';
    case 'timestamp':
      return raw instanceof Date ? raw.toISOString() : new Date(String(raw)).toISOString();
    case 'uuid':
      return String(raw).toLowerCase();
    case 'json':
      return typeof raw === 'string' ? JSON.parse(raw) : raw;
    case 'text':
      return String(raw);
  }
}

/** Maps a driver row (keyed by engine column names) to a camelCase row typed by the signature. */
export function normalizeRow(columns: readonly ColumnSignature[], raw: Row, key: 'pgName' | 'sqlName'): Row {
  const out: Row = {};
  for (const c of columns) out[c.name] = normalizeValue(c.type, raw[c[key]]);
  return out;
}

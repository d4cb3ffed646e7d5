import { z } from 'zod';
import type { ColumnSignature, ParamSignature, ProcedureSignature } from '../db/types.js';
import type { ProcedureHeader } from '../db/sql-files.js';
import { pascalToCamel, pascalToSnake, pgParamName, snakeToPascal } from '../db/names.js';
import type { PgFunction } from './pg-catalog.js';
import type { TsqlProcedure } from './tsql-signature.js';
import { logicalFromPg, logicalFromTsql } from './types.js';
import { jsonShapes } from './json-shapes.js';

/** Parameters the server fills from the caller's identity (docs/conventions.md#identity-parameters). */
export const IDENTITY_PARAMS = new Set(['TenantId', 'CallerId', 'CallerRole']);

export interface ProcedureModel {
  header: ProcedureHeader;
  signature: ProcedureSignature;
  /** Param sqlName -> whether its default is NULL (the argument may then be null). */
  nullableParams: Set<string>;
}

/** Joins the three sources: header (T-SQL file), T-SQL declaration (lengths), PostgreSQL catalog (types). */
export function buildModel(header: ProcedureHeader, tsql: TsqlProcedure, pg: PgFunction): ProcedureModel {
  const where = `procedure ${tsql.name}`;
  if (pg.params.length !== tsql.params.length)
    throw new Error(`${where}: T-SQL has ${tsql.params.length} parameters, PostgreSQL ${pg.params.length}`);
  const nullableParams = new Set<string>();
  const params: ParamSignature[] = tsql.params.map((tp, i) => {
    const pp = pg.params[i]!;
    if (pp.pgName !== pgParamName(tp.sqlName))
      throw new Error(`${where}: parameter ${i + 1} is @${tp.sqlName} in T-SQL but ${pp.pgName} in PostgreSQL (expected ${pgParamName(tp.sqlName)})`);
    const type = logicalFromPg(pp.pgType);
    if (!logicalFromTsql(tp.type).includes(type))
      throw new Error(`${where}: @${tp.sqlName} is ${tp.type} in T-SQL but ${pp.pgType} in PostgreSQL`);
    if ((tp.defaultValue === undefined) !== (pp.defaultValue === undefined))
      throw new Error(`${where}: @${tp.sqlName} has a default in one twin only`);
    if (tp.defaultValue !== undefined && /^null$/i.test(tp.defaultValue.trim())) nullableParams.add(tp.sqlName);
    return {
      name: pascalToCamel(tp.sqlName), sqlName: tp.sqlName, pgName: pp.pgName, type,
      ...(tp.maxLength !== undefined ? { maxLength: tp.maxLength } : {}),
      ...(tp.precision !== undefined ? { precision: tp.precision, scale: tp.scale } : {}),
      hasDefault: tp.defaultValue !== undefined,
      identity: IDENTITY_PARAMS.has(tp.sqlName),
    };
  });
  const columns: ColumnSignature[] = pg.columns.map((c) => {
    const sqlName = snakeToPascal(c.pgName);
    return { name: pascalToCamel(sqlName), sqlName, pgName: c.pgName, type: logicalFromPg(c.pgType) };
  });
  return { header, nullableParams, signature: { name: tsql.name, pgName: pascalToSnake(tsql.name), params, columns } };
}

/** The zod input schema for the tool, built once here so its code and its JSON Schema agree. */
export function inputSchemaParts(model: ProcedureModel): { code: string; json: Record<string, unknown> } {
  const shape: Record<string, z.ZodType> = {};
  const lines: string[] = [];
  for (const p of model.signature.params) {
    if (p.identity) continue;
    const desc = model.header.params[p.sqlName];
    const shapeKey = `${model.signature.name}.${p.sqlName}`;
    let schema: z.ZodType;
    let code: string;
    switch (p.type) {
      case 'text':
        schema = p.maxLength ? z.string().max(p.maxLength) : z.string();
        code = p.maxLength ? `z.string().max(${p.maxLength})` : 'z.string()';
        break;
      case 'int': case 'bigint':
        schema = z.number().int(); code = 'z.number().int()'; break;
      case 'decimal':
        schema = z.number(); code = 'z.number()'; break;
      case 'bool':
        schema = z.boolean(); code = 'z.boolean()'; break;
      case 'timestamp':
        schema = z.iso.datetime({ offset: true }); code = 'z.iso.datetime({ offset: true })'; break;
      case 'uuid':
        schema = z.uuid(); code = 'z.uuid()'; break;
      case 'json':
        schema = jsonShapes[shapeKey] ?? z.unknown();
        code = jsonShapes[shapeKey] ? `jsonShapes[${JSON.stringify(shapeKey)}]!` : 'z.unknown()';
        break;
    }
    if (model.nullableParams.has(p.sqlName)) { schema = schema.nullable(); code += '.nullable()'; }
    if (p.hasDefault) { schema = schema.optional(); code += '.optional()'; }
    if (desc) { schema = schema.describe(desc); code += `.describe(${JSON.stringify(desc)})`; }
    shape[p.name] = schema;
    lines.push(`  ${p.name}: ${code},`);
  }
  const json = z.toJSONSchema(z.object(shape).strict(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return { code: `z.object({\n${lines.join('\n')}\n}).strict()`, json };
}

/** JSON Schema of the tool's structured output: { rows: [...] } with one property per column. */
export function outputJsonSchema(model: ProcedureModel): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const c of model.signature.columns) {
    const t = { text: 'string', int: 'integer', bigint: 'integer', decimal: 'number', bool: 'boolean', timestamp: 'string', uuid: 'string', json: undefined }[c.type];
    props[c.name] = t ? { type: [t, 'null'] } : {};
  }
  return {
    type: 'object',
    properties: { rows: { type: 'array', items: { type: 'object', properties: props, required: model.signature.columns.map((c) => c.name) } } },
    required: ['rows'],
  };
}

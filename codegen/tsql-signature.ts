/**
 * Reads the parameter list of a T-SQL `CREATE OR ALTER PROCEDURE` from its file. The parse test
 * (test/tsql-parse.test.ts) checks the whole file against the T-SQL grammar; this reads only the
 * declaration, which our conventions keep one parameter per line.
 */
export interface TsqlParam {
  sqlName: string;
  type: string;
  maxLength?: number;
  precision?: number;
  scale?: number;
  /** Default as written (N'[]', 300, NULL), or undefined when there is none. */
  defaultValue?: string;
  output: boolean;
}

export interface TsqlProcedure {
  name: string;
  params: TsqlParam[];
}

export function readTsqlProcedure(text: string, file: string): TsqlProcedure {
  const decl = /CREATE\s+OR\s+ALTER\s+PROCEDURE\s+mmos\.(\w+)([\s\S]*?)^\s*AS\s*$/im.exec(text);
  if (!decl) throw new Error(`${file}: no 'CREATE OR ALTER PROCEDURE mmos.<Name> ... AS' found`);
  const params: TsqlParam[] = [];
  const paramRe = /@(\w+)\s+([A-Za-z0-9]+(?:\s*\([^)]*\))?)(?:\s*=\s*(N?'(?:[^']|'')*'|-?[\d.]+|NULL))?(\s+OUTPUT)?\s*(?:,|$)/gim;
  for (const m of decl[2]!.matchAll(paramRe)) {
    const type = m[2]!.replace(/\s+/g, '').toUpperCase();
    const p: TsqlParam = { sqlName: m[1]!, type, output: Boolean(m[4]), ...(m[3] !== undefined ? { defaultValue: m[3] } : {}) };
    const len = /^N?(?:VAR)?CHAR\((\d+)\)$/.exec(type);
    if (len) p.maxLength = Number(len[1]);
    const dec = /^(?:DECIMAL|NUMERIC)\((\d+),(\d+)\)$/.exec(type);
    if (dec) { p.precision = Number(dec[1]); p.scale = Number(dec[2]); }
    params.push(p);
  }
  return { name: decl[1]!, params };
}

/** Normalises a default for comparison across twins: N'x' / 'x'::jsonb -> 'x'; NULL -> null. */
export function normalizeDefault(raw: string | undefined): string | null | undefined {
  if (raw === undefined) return undefined;
  let v = raw.trim().replace(/::[\w\s]+(\(\d+(,\d+)?\))?$/g, '').trim();
  if (/^null$/i.test(v)) return null;
  if (/^N?'/.test(v)) v = v.replace(/^N?'/, '').replace(/'$/, '').replace(/''/g, "'");
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true' ? '1' : '0';
  if (/^-?\d+(\.\d+)?$/.test(v)) return String(Number(v));
  return v;
}

import type { Engine } from '../db/types.js';

/** A function of schema mmos as the PostgreSQL catalog describes it. */
export interface PgFunction {
  pgName: string;
  params: { pgName: string; pgType: string; defaultValue?: string }[];
  columns: { pgName: string; pgType: string }[];
}

/**
 * Types come from the database's own description of each function (pg_proc), not from reading the
 * SQL text: what codegen emits is what the deployed function really takes and returns.
 */
export async function describePgFunctions(engine: Engine): Promise<Map<string, PgFunction>> {
  const rows = await engine.query(`
    SELECT p.proname AS name,
           coalesce(p.proargnames, ARRAY[]::text[]) AS arg_names,
           coalesce(p.proargmodes::text[], ARRAY[]::text[]) AS arg_modes,
           ARRAY(SELECT format_type(t.oid_value, NULL)
                   FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS t(oid_value, ord)
                  ORDER BY t.ord) AS arg_types,
           pg_get_function_arguments(p.oid) AS arguments
      FROM pg_proc AS p
      JOIN pg_namespace AS n ON n.oid = p.pronamespace
     WHERE n.nspname = 'mmos'
     ORDER BY p.proname`);
  const out = new Map<string, PgFunction>();
  for (const r of rows) {
    const names = r['arg_names'] as string[];
    const modes = r['arg_modes'] as string[];
    const types = r['arg_types'] as string[];
    const defaults = defaultsFromArguments(String(r['arguments']));
    const fn: PgFunction = { pgName: String(r['name']), params: [], columns: [] };
    types.forEach((pgType, i) => {
      const mode = modes[i] ?? 'i';
      const pgName = names[i] ?? `$${i + 1}`;
      if (mode === 'i') fn.params.push({ pgName, pgType, ...(defaults.has(pgName) ? { defaultValue: defaults.get(pgName)! } : {}) });
      else if (mode === 't' || mode === 'o') fn.columns.push({ pgName, pgType });
    });
    out.set(fn.pgName, fn);
  }
  return out;
}

/** "p_a text, p_b integer DEFAULT 300" -> {p_b: '300'}; splits on top-level commas only. */
function defaultsFromArguments(args: string): Map<string, string> {
  const parts: string[] = [];
  let depth = 0, quoted = false, start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') { parts.push(args.slice(start, i)); start = i + 1; }
  }
  parts.push(args.slice(start));
  const out = new Map<string, string>();
  for (const p of parts) {
    const m = /^\s*(?:IN\s+)?(\w+)\s+[\s\S]*?\sDEFAULT\s+([\s\S]+)$/.exec(p);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

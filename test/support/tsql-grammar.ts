/**
 * The real T-SQL grammar (antlr4ts-sql), for tests that check sql/ without a SQL Server: the parse
 * test (every file parses) and the parity test (result columns of each procedure).
 * The lexer and parser are imported by path: the package index has a circular import that crashes.
 */
import { ANTLRInputStream, CommonTokenStream, type ANTLRErrorListener, type CharStream } from 'antlr4ts';
import type { ParseTree } from 'antlr4ts/tree/ParseTree.js';
import { ParserRuleContext } from 'antlr4ts/ParserRuleContext.js';
import { TSqlLexer } from 'antlr4ts-sql/dist/src/grammar-output/tsql/TSqlLexer.js';
import {
  TSqlParser,
  Tsql_fileContext,
  Create_or_alter_procedureContext,
  Sql_clausesContext,
  Select_statement_standaloneContext,
  Query_expressionContext,
  Query_specificationContext,
  Select_list_elemContext,
  Full_column_nameContext,
} from 'antlr4ts-sql/dist/src/grammar-output/tsql/TSqlParser.js';
import { CaseChangingStream } from 'antlr4ts-sql/dist/src/models/CaseChangingStream.js';

export interface TsqlSyntaxError {
  /** 1-based line in the whole text (not in the batch). */
  line: number;
  column: number;
  message: string;
}

export interface TsqlBatch {
  /** 1-based line of the batch's first line in the whole text. */
  startLine: number;
  tree: Tsql_fileContext;
  errors: TsqlSyntaxError[];
}

/** A line that holds only GO (any case), optionally `;` and/or a `--` comment: the client-side batch separator. */
export const GO_LINE = /^\s*go\s*;?\s*(--.*)?$/i;

/** Splits a script into batches on GO lines, keeping each batch's first line number. Blank batches are dropped. */
export function splitTsqlBatches(text: string): { startLine: number; text: string }[] {
  const batches: { startLine: number; text: string }[] = [];
  let current: string[] = [];
  let start = 1;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (GO_LINE.test(line)) {
      if (current.join('').trim()) batches.push({ startLine: start, text: current.join('\n') });
      current = [];
      start = i + 2;
    } else {
      current.push(line);
    }
  });
  if (current.join('').trim()) batches.push({ startLine: start, text: current.join('\n') });
  return batches;
}

function collector(errors: TsqlSyntaxError[], startLine: number): ANTLRErrorListener<unknown> {
  return {
    syntaxError: (_r, _sym, line, column, message) => errors.push({ line: startLine + line - 1, column, message }),
  };
}

/**
 * The grammar knows CREATE VIEW but not ALTER VIEW, which docs/conventions.md#views prescribes. In
 * T-SQL both take the same text after the keyword and both must open their batch, so a batch that
 * opens with ALTER VIEW is parsed as CREATE VIEW: everything after the keyword is still checked.
 * (Error columns on that one line are then off by one.)
 */
const LEADING_ALTER_VIEW = /^((?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*)ALTER(\s+VIEW\b)/i;

/** Parses each GO-separated batch; an empty `errors` list means the batch is valid T-SQL for the grammar. */
export function parseTsqlBatches(text: string): TsqlBatch[] {
  return splitTsqlBatches(text).map(({ startLine, text: original }) => {
    const errors: TsqlSyntaxError[] = [];
    const batch = original.replace(LEADING_ALTER_VIEW, '$1CREATE$2');
    // The grammar's keywords are upper case; the stream upper-cases what the lexer sees, not the text.
    const input = new ANTLRInputStream(batch);
    const upper = new CaseChangingStream(input, true);
    // CaseChangingStream.getText passes (a, b) where ANTLRInputStream wants an Interval, so every
    // token's text came out empty; read the original (not upper-cased) text from the input instead.
    upper.getText = (interval) => input.getText(interval);
    const chars = upper as unknown as CharStream;
    const lexer = new TSqlLexer(chars);
    lexer.removeErrorListeners();
    lexer.addErrorListener(collector(errors, startLine) as ANTLRErrorListener<number>);
    const parser = new TSqlParser(new CommonTokenStream(lexer));
    parser.removeErrorListeners();
    parser.addErrorListener(collector(errors, startLine));
    const tree = parser.tsql_file();
    return { startLine, tree, errors };
  });
}

/** Identifier text without [brackets] or "quotes"; a 'string' alias without its quotes. */
function unquote(name: string): string {
  const t = name.trim();
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('"') && t.endsWith('"'))) return t.slice(1, -1);
  if (/^N?'.*'$/s.test(t)) return t.slice(t.indexOf("'") + 1, -1);
  return t;
}

/** Statements of a body in order, with BEGIN...END and the TRY part of TRY...CATCH opened (they add no nesting of meaning). */
function topLevelStatements(clauses: readonly Sql_clausesContext[]): Sql_clausesContext[] {
  const out: Sql_clausesContext[] = [];
  for (const c of clauses) {
    const cfl = c.cfl_statement();
    const block = cfl?.block_statement();
    const tryCatch = cfl?.try_catch_statement();
    if (block) out.push(...topLevelStatements(block.sql_clauses()));
    else if (tryCatch) {
      // The TRY part is the statements before the first CATCH keyword; the CATCH part is error handling, not a result.
      const catchAt = tryCatch.CATCH(0).symbol.tokenIndex;
      out.push(...topLevelStatements(tryCatch.sql_clauses().filter((s) => s.start.tokenIndex < catchAt)));
    }
    else out.push(c);
  }
  return out;
}

/** First query specification of a query expression (a UNION takes its column names from its first part). */
function firstSpecification(q: Query_expressionContext): Query_specificationContext | undefined {
  const spec = q.query_specification();
  if (spec) return spec;
  const inner = q.query_expression();
  return inner ? firstSpecification(inner) : undefined;
}

function firstOfType<T extends ParserRuleContext>(node: ParseTree, type: new (...args: never[]) => T): T | undefined {
  if (node instanceof type) return node;
  for (let i = 0; i < node.childCount; i++) {
    const found = firstOfType(node.getChild(i), type);
    if (found) return found;
  }
  return undefined;
}

/** Output name of one select-list element: its alias, else the bare column's last name part. */
function columnName(elem: Select_list_elemContext): string {
  const exprElem = elem.expression_elem();
  const colElem = elem.column_elem();
  const alias = exprElem?.as_column_alias()?.column_alias() ?? exprElem?.column_alias() ?? colElem?.as_column_alias()?.column_alias();
  if (alias) return unquote(alias.text);
  // A bare column (t.Name or Name): the grammar gives it as a column_elem or as an expression holding only a full column name.
  const full = colElem?.full_column_name() ?? (exprElem && firstOfType(exprElem.expression(), Full_column_nameContext));
  if (full && exprElem && full.text !== exprElem.expression().text) throw new Error(`select-list element '${elem.text}' has no alias`);
  if (full) return unquote(full._column_name?.text ?? full.text.split('.').pop()!);
  throw new Error(`select-list element '${elem.text}' has no alias`);
}

/**
 * Result columns of a procedure: the select list of the LAST top-level SELECT of its body (the
 * convention: a procedure's single result set is its last statement). Nested subqueries, variable
 * assignments (SELECT @x = ...) and SELECT ... INTO are not result sets and are ignored.
 */
export function tsqlResultColumns(procedureText: string): string[] {
  const batches = parseTsqlBatches(procedureText);
  for (const b of batches) {
    if (b.errors.length) throw new Error(`syntax error at line ${b.errors[0]!.line}: ${b.errors[0]!.message}`);
  }
  const proc = batches.map((b) => firstOfType(b.tree, Create_or_alter_procedureContext)).find((p) => p !== undefined);
  if (!proc) throw new Error('no CREATE [OR ALTER] PROCEDURE found');
  const selects = topLevelStatements(proc.sql_clauses())
    .map((c) => c.dml_clause()?.select_statement_standalone())
    .filter((s): s is Select_statement_standaloneContext => s !== undefined)
    .map((s) => firstSpecification(s.select_statement().query_expression()))
    .filter((q): q is Query_specificationContext => q !== undefined && !q.INTO())
    .filter((q) => !q.select_list().select_list_elem().some((e) => e.LOCAL_ID() !== undefined));
  const last = selects[selects.length - 1];
  if (!last) throw new Error(`procedure ${proc.func_proc_name_schema().text} has no top-level SELECT`);
  return last.select_list().select_list_elem().map((e) => {
    if (e.asterisk()) throw new Error(`SELECT * in the result set of ${proc.func_proc_name_schema().text}: name the columns`);
    return columnName(e);
  });
}

// Re-exported so callers can walk trees without importing the grammar by path themselves.
export { TSqlParser };

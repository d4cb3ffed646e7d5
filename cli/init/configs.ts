/**
 * The MCP client configuration each agent CLI reads from its project folder, all naming one server
 * `mmos`:
 * - Claude Code `.mcp.json`: { mcpServers: { mmos: { type: 'stdio', command, args, env } } } or
 *   { type: 'http', url, headers }.
 * - Gemini CLI `.gemini/settings.json`: { mcpServers: { mmos: { command, args, env } } } or
 *   { httpUrl, headers } (Gemini's `url` would mean the old SSE transport).
 * - Codex CLI `.codex/config.toml`: [mcp_servers.mmos] with command, args and an env table, or url
 *   and http_headers (Codex reads a project's .codex/config.toml once the project is trusted).
 */
export type Connection =
  | { mode: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { mode: 'http'; url: string; token: string };

export const SERVER_NAME = 'mmos';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export function claudeMcpJson(c: Connection): string {
  const server =
    c.mode === 'stdio'
      ? { type: 'stdio', command: c.command, args: c.args, env: c.env }
      : { type: 'http', url: c.url, headers: bearer(c.token) };
  return json({ mcpServers: { [SERVER_NAME]: server } });
}

export function geminiSettingsJson(c: Connection): string {
  const server = c.mode === 'stdio' ? { command: c.command, args: c.args, env: c.env } : { httpUrl: c.url, headers: bearer(c.token) };
  return json({ mcpServers: { [SERVER_NAME]: server } });
}

/** A TOML basic string: JSON's escapes (\" \\ \n \uXXXX) are valid TOML escapes. */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

function tomlInlineTable(o: Record<string, string>): string {
  const entries = Object.entries(o).map(([k, v]) => `${tomlKey(k)} = ${tomlString(v)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

export function codexConfigToml(c: Connection): string {
  const lines = ['# MCP server for Codex CLI, written by `mmos init`.', `[mcp_servers.${SERVER_NAME}]`];
  if (c.mode === 'stdio') {
    lines.push(`command = ${tomlString(c.command)}`);
    lines.push(`args = [${c.args.map(tomlString).join(', ')}]`);
    // The first start compiles TypeScript through tsx; give it more than the 10 s default.
    lines.push('startup_timeout_sec = 30');
    lines.push('', `[mcp_servers.${SERVER_NAME}.env]`);
    for (const [k, v] of Object.entries(c.env)) lines.push(`${tomlKey(k)} = ${tomlString(v)}`);
  } else {
    lines.push(`url = ${tomlString(c.url)}`);
    lines.push(`http_headers = ${tomlInlineTable(bearer(c.token))}`);
  }
  return `${lines.join('\n')}\n`;
}

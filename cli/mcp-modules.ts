/**
 * The MCP server (mcp/) is loaded only by the commands that need it, so `mmos db deploy`, `status`
 * and `init --url` start without loading the MCP SDK and its HTTP stack.
 */
export const loadHub = () => import('../mcp/hub.js');
export const loadStdio = () => import('../mcp/stdio.js');
export const loadTokens = () => import('../mcp/tokens.js');

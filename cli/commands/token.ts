import type { Command, CommandContext } from '../command.js';
import { stringOption } from '../command.js';
import { DATABASE_HELP, DATABASE_OPTIONS, cliIdentity, databaseTarget, withEngine } from '../database.js';
import { UsageError } from '../errors.js';
import { loadTokens } from '../mcp-modules.js';
import type { Role } from '../../db/call.js';
import type { ListAgentTokensRow } from '../../generated/index.js';
import { renderTable, type Column } from '../table.js';

const ROLES: readonly Role[] = ['admin', 'worker', 'reader'];

const TOKEN_COLUMNS: Column<ListAgentTokensRow>[] = [
  { header: 'ID', value: (r) => r.tokenId, align: 'right' },
  { header: 'AGENT', value: (r) => r.agentId },
  { header: 'ROLE', value: (r) => r.role },
  { header: 'LABEL', value: (r) => r.label },
  { header: 'CREATED', value: (r) => r.createdAt },
  { header: 'BY', value: (r) => r.createdBy },
  { header: 'REVOKED', value: (r) => r.revokedAt },
];

const EMBEDDED_NOTE =
  'With the embedded engine these commands open the data folder, so run them while the hub is stopped.';

function requireAgent(ctx: CommandContext): string {
  const agent = stringOption(ctx.values, 'agent')?.trim();
  if (!agent) throw new UsageError('--agent ID is required (the worker id, e.g. worker-1, or the admin instance name)');
  if (agent.length > 100) throw new UsageError(`--agent is longer than 100 characters`);
  return agent;
}

export const tokenCreateCommand: Command = {
  name: 'token create',
  summary: "make a bearer token for an agent (printed once; the hub maps it to the agent's identity and role)",
  usage: '--agent ID --role admin|worker|reader [--label TEXT] [--url URL] [--data DIR]',
  help: [
    '  --agent ID    the identity the token stands for: a worker id (worker-1) or the admin instance name',
    '  --role ROLE   admin, worker or reader: which tools the agent sees',
    '  --label TEXT  a note for `mmos token list`',
    DATABASE_HELP,
    '',
    'Prints the token on stdout; the database keeps only its hash. An agent may hold several tokens (roll a',
    'new one out, then revoke the old ones with `mmos token revoke`).',
    EMBEDDED_NOTE,
  ].join('\n'),
  options: { ...DATABASE_OPTIONS, agent: { type: 'string' }, role: { type: 'string' }, label: { type: 'string' } },
  async run(ctx) {
    const agentId = requireAgent(ctx);
    const role = stringOption(ctx.values, 'role');
    if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}${role ? `, got '${role}'` : ''}`);
    const label = stringOption(ctx.values, 'label');
    const tokens = await loadTokens();
    const { tenantId } = cliIdentity(ctx.env);
    const created = await withEngine(databaseTarget(ctx), { deployEmbedded: true, log: ctx.log }, (engine) =>
      tokens.createToken(engine, { tenantId, agentId, role: role as Role, ...(label ? { label } : {}) }),
    );
    ctx.log(`created a ${created.role} token for ${created.agentId} (tenant ${tenantId}); it is shown only now`);
    ctx.out(created.token);
    return 0;
  },
};

export const tokenRevokeCommand: Command = {
  name: 'token revoke',
  summary: "revoke an agent's token: the hub refuses it from then on",
  usage: '--agent ID [--url URL] [--data DIR]',
  help: ['  --agent ID    whose token to revoke', DATABASE_HELP, '', EMBEDDED_NOTE].join('\n'),
  options: { ...DATABASE_OPTIONS, agent: { type: 'string' } },
  async run(ctx) {
    const agentId = requireAgent(ctx);
    const tokens = await loadTokens();
    const { tenantId } = cliIdentity(ctx.env);
    const result = await withEngine(databaseTarget(ctx), { deployEmbedded: true, log: ctx.log }, (engine) =>
      tokens.revokeToken(engine, { tenantId, agentId }),
    );
    ctx.out(`revoked ${result.length} token${result.length === 1 ? '' : 's'} of ${agentId}`);
    return 0;
  },
};

export const tokenListCommand: Command = {
  name: 'token list',
  summary: 'list the agents that have tokens (never the tokens themselves)',
  usage: '[--all] [--url URL] [--data DIR]',
  help: ['  --all         revoked tokens too', DATABASE_HELP, '', EMBEDDED_NOTE].join('\n'),
  options: { ...DATABASE_OPTIONS, all: { type: 'boolean' } },
  async run(ctx) {
    const tokens = await loadTokens();
    const { tenantId } = cliIdentity(ctx.env);
    const rows = await withEngine(databaseTarget(ctx), { deployEmbedded: true, log: ctx.log }, (engine) =>
      tokens.listTokens(engine, { tenantId, includeRevoked: ctx.values['all'] === true }),
    );
    if (!rows.length) {
      ctx.out(`no tokens in tenant ${tenantId}`);
      return 0;
    }
    ctx.out(renderTable(rows, TOKEN_COLUMNS.filter((c) => c.header !== 'REVOKED' || ctx.values['all'] === true)));
    return 0;
  },
};

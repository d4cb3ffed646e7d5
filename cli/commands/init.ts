import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploy } from '../../db/deploy.js';
import type { Command, CommandContext } from '../command.js';
import { intOption, stringOption } from '../command.js';
import { cliIdentity, databaseTarget, describeTarget, withEngine, type DatabaseTarget } from '../database.js';
import { CliError, UsageError } from '../errors.js';
import { loadTokens } from '../mcp-modules.js';
import type { Connection } from '../init/configs.js';
import { adminFolder, agentFiles, workerFolder, type AgentFolder } from '../init/layout.js';
import { applyFiles, readManifest, writeManifest, MANIFEST_FILE, type Manifest, type PlannedFile } from '../init/manifest.js';
import { ADMIN_FOLDER, AGENT_PRESETS, DEFAULT_ROTATION, parseRotation, planWorkers } from '../init/presets.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './serve.js';

const BIN = fileURLToPath(new URL('../../bin/mmos.mjs', import.meta.url));
const DEFAULT_HUB = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export const initCommand: Command = {
  name: 'init',
  summary: 'lay out the admin and worker folders (MCP configs, role instructions, tokens)',
  usage: '[DIR] [--workers N] [--agents claude,gemini,codex] [--url URL | --hub URL --data DIR] [--rotate-tokens]',
  help: [
    '  DIR              where to create the folders (default: the current folder)',
    '  --workers N      how many worker folders (default 2)',
    `  --agents LIST    agent kinds the workers take in turn (default ${DEFAULT_ROTATION.join(',')}):`,
    ...Object.entries(AGENT_PRESETS).map(([k, p]) => `                     ${k.padEnd(7)} Worker${p.type}<n>, capabilities ${p.capabilities.join(',')}`),
    '  --url URL        a server database (postgres://... or mssql://...): every agent starts its own',
    '                   `mmos mcp` over stdio with its identity in the environment; the schema is deployed',
    '  --skip-deploy    with --url: only write the files, do not touch the database',
    `  --hub URL        without --url: the hub the agents connect to (default ${DEFAULT_HUB})`,
    '  --data DIR       without --url: the embedded data folder the hub will serve (default $MMOS_DATA_DIR',
    '                   or .mmos/data); one bearer token per agent is created in it',
    '  --rotate-tokens  replace the agents\' existing tokens (the old ones stop working)',
    '',
    `Creates ${ADMIN_FOLDER}/ (projects/) and Worker<Type><n>/ (workspace/), each with .mcp.json (Claude Code),`,
    '.gemini/settings.json (Gemini CLI), .codex/config.toml (Codex CLI), CLAUDE.md / GEMINI.md / AGENTS.md',
    'with the agent\'s role and loop, and the admin\'s slash commands. Start an agent CLI in a folder.',
    'Without --url, init opens the embedded database to create the tokens: run it while no hub runs.',
    `Re-running is safe: files you edited are kept (listed as 'kept your edit'), the rest are`,
    `regenerated, and no agent gets a second token unless --rotate-tokens (${MANIFEST_FILE} remembers).`,
  ].join('\n'),
  options: {
    workers: { type: 'string' },
    agents: { type: 'string' },
    url: { type: 'string' },
    hub: { type: 'string' },
    data: { type: 'string' },
    'skip-deploy': { type: 'boolean' },
    'rotate-tokens': { type: 'boolean' },
  },
  maxPositionals: 1,
  async run(ctx) {
    const root = resolve(ctx.positionals[0] ?? '.');
    const workers = planWorkers(intOption(ctx.values, 'workers', 2, 1, 64), parseRotation(stringOption(ctx.values, 'agents')));
    const url = stringOption(ctx.values, 'url');
    const hub = stringOption(ctx.values, 'hub');
    if (url && hub) throw new UsageError('--url and --hub exclude each other: with --url every agent reaches the database itself, without it they go through the hub');
    if (url && ctx.values['rotate-tokens']) throw new UsageError('--rotate-tokens only applies without --url (tokens are for the hub)');
    if (!url && ctx.values['skip-deploy']) throw new UsageError('--skip-deploy only applies with --url');
    if (url && !/^(postgres|postgresql|mssql|sqlserver):\/\//i.test(url)) throw new UsageError(`--url must be a postgres://... or mssql://... URL, got '${url}'`);
    if (existsSync(root) && !statSync(root).isDirectory()) throw new CliError(`${root} exists and is not a folder`);
    mkdirSync(root, { recursive: true });

    const manifest = readManifest(root);
    const tenant = ctx.env['MMOS_TENANT']?.trim();
    let folders: AgentFolder[];
    let target: DatabaseTarget;
    if (url) {
      target = { url, dataDir: '' };
      const base = { MMOS_DATABASE_URL: url, ...(tenant ? { MMOS_TENANT: tenant } : {}) };
      const stdio = (env: Record<string, string>): Connection => ({ mode: 'stdio', command: 'node', args: [BIN, 'mcp'], env: { ...env, ...base } });
      folders = [
        adminFolder(stdio({ ROLE: 'admin', INSTANCE_NAME: ADMIN_FOLDER })),
        ...workers.map((w) =>
          workerFolder(w, stdio({ ROLE: 'worker', WORKER_ID: w.workerId, WORKER_NAME: w.workerName, WORKER_TYPE: w.workerType, CAPABILITIES: w.capabilities.join(',') })),
        ),
      ];
      if (!ctx.values['skip-deploy']) {
        ctx.log(`deploying the schema to ${describeTarget(target)}`);
        await withEngine(target, {}, (engine) => deploy(engine, ctx.log));
      }
    } else {
      target = databaseTarget({ values: { data: stringOption(ctx.values, 'data') }, env: ctx.env });
      const mcpUrl = hubMcpUrl(hub ?? DEFAULT_HUB);
      const agents = [{ agentId: ADMIN_FOLDER, role: 'admin' as const }, ...workers.map((w) => ({ agentId: w.workerId, role: 'worker' as const }))];
      const tokens = await ensureTokens(ctx, target, manifest, agents, root, ctx.values['rotate-tokens'] === true);
      const http = (agentId: string): Connection => ({ mode: 'http', url: mcpUrl, token: tokens[agentId]! });
      folders = [adminFolder(http(ADMIN_FOLDER)), ...workers.map((w) => workerFolder(w, http(w.workerId)))];
    }

    manifest.mode = url ? 'stdio' : 'http';
    const files: PlannedFile[] = [...folders.flatMap(agentFiles), { path: 'README.md', content: readme(folders, url ? undefined : target, hub ?? DEFAULT_HUB) }];
    for (const f of folders) for (const d of f.dirs) mkdirSync(join(root, f.folder, d), { recursive: true });
    const result = applyFiles(root, files, manifest);
    writeManifest(root, manifest);

    for (const p of result.kept) ctx.log(`kept your edit: ${p}`);
    ctx.log(`${result.written.length} file(s) written, ${result.unchanged.length} unchanged, ${result.kept.length} kept`);
    ctx.out(summary(root, folders, url ? undefined : target, hub ?? DEFAULT_HUB));
    return 0;
  },
};

/** The hub serves MCP at /mcp; a bare origin given to --hub means that path. */
export function hubMcpUrl(hub: string): string {
  let u: URL;
  try {
    u = new URL(hub);
  } catch {
    throw new UsageError(`--hub must be a URL such as ${DEFAULT_HUB}, got '${hub}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--hub must be an http:// or https:// URL, got '${hub}'`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/mcp';
  return u.toString();
}

interface AgentToken {
  agentId: string;
  role: 'admin' | 'worker';
}

/**
 * One token per agent, created in the embedded database the hub will serve. An agent keeps the
 * token this folder already gave it while the database still accepts it; an agent whose tokens this
 * folder does not know is refused rather than given a second token, unless --rotate-tokens
 * replaces them (revoke, then create).
 */
async function ensureTokens(ctx: CommandContext, target: DatabaseTarget, manifest: Manifest, agents: AgentToken[], root: string, rotate: boolean): Promise<Record<string, string>> {
  const mod = await loadTokens();
  const { tenantId } = cliIdentity(ctx.env);
  ctx.log(`agent tokens live in the ${describeTarget(target)} (init opens it: the hub must not be running)`);
  return withEngine(target, { deployEmbedded: true, log: ctx.log }, async (engine) => {
    const existing = new Set((await mod.listTokens(engine, { tenantId })).map((r) => String(r['agentId'])));
    const valid = new Map<string, string>();
    for (const a of agents) {
      const known = manifest.tokens[a.agentId];
      const who = known ? await mod.resolveToken(engine, known) : undefined;
      if (known && who && who.tenantId === tenantId && who.callerId === a.agentId && who.role === a.role) valid.set(a.agentId, known);
    }
    const foreign = agents.filter((a) => existing.has(a.agentId) && !valid.has(a.agentId));
    if (foreign.length && !rotate) {
      const ids = foreign.map((a) => a.agentId).join(', ');
      throw new CliError(
        `${ids} already ${foreign.length > 1 ? 'have tokens' : 'has a token'} that this folder did not make ` +
          '(by `mmos token create`, by init in another folder, or for another role). Re-run with --rotate-tokens to ' +
          'replace them (the old ones stop working), or revoke them with `mmos token revoke --agent <id>`.',
      );
    }
    const tokens: Record<string, string> = {};
    for (const a of agents) {
      const keep = valid.get(a.agentId);
      if (keep && !rotate) {
        tokens[a.agentId] = keep;
        continue;
      }
      if (existing.has(a.agentId)) await mod.revokeToken(engine, { tenantId, agentId: a.agentId });
      const created = await mod.createToken(engine, { tenantId, agentId: a.agentId, role: a.role, label: `mmos init ${root}`.slice(0, 200) });
      tokens[a.agentId] = created.token;
      manifest.tokens[a.agentId] = created.token;
      // Saved at once: a token that exists only as a hash in the database could never be put in a config again.
      writeManifest(root, manifest);
      ctx.log(`${existing.has(a.agentId) ? 'replaced' : 'created'} the ${a.role} token of ${a.agentId}`);
    }
    return tokens;
  });
}

function hubCommand(target: DatabaseTarget, hub: string): string {
  const u = new URL(hubMcpUrl(hub));
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const parts = ['mmos serve', `--data ${JSON.stringify(resolve(target.dataDir))}`];
  if (u.hostname !== DEFAULT_HOST) parts.push(`--host ${u.hostname}`);
  if (port !== String(DEFAULT_PORT)) parts.push(`--port ${port}`);
  return parts.join(' ');
}

function summary(root: string, folders: AgentFolder[], embedded: DatabaseTarget | undefined, hub: string): string {
  const lines = [`MMOS folders in ${root}:`];
  for (const f of folders) lines.push(`  ${f.folder.padEnd(16)} ${f.role === 'admin' ? 'admin' : `worker ${f.agentId}`}`);
  lines.push('');
  if (embedded) lines.push(`Start the hub:    ${hubCommand(embedded, hub)}`);
  lines.push('Then start an agent in each folder: claude, gemini or codex (Codex needs the folder trusted).');
  return lines.join('\n');
}

function readme(folders: AgentFolder[], embedded: DatabaseTarget | undefined, hub: string): string {
  const start = embedded
    ? [
        'The agents reach the database through the hub. Start it first and keep it running:',
        '',
        '```',
        hubCommand(embedded, hub),
        '```',
        '',
        'Each folder\'s configs carry that agent\'s bearer token: keep these folders private.',
        'Re-run `mmos init` only while the hub is stopped (it opens the embedded database).',
      ]
    : ['Every agent starts its own `mmos mcp` over stdio on the server database named in its config.'];
  return [
    '# MMOS team folders',
    '',
    'Written by `mmos init`. One folder per agent session:',
    '',
    ...folders.map((f) => `- \`${f.folder}/\`: ${f.role === 'admin' ? 'the admin (orchestrator); notes under `projects/`' : `worker \`${f.agentId}\` (${f.values['WORKER_TYPE']}; ${f.values['CAPABILITIES']}); work under \`workspace/\``}`),
    '',
    ...start,
    '',
    'Then open a terminal in a folder and start Claude Code (`claude`), Gemini CLI (`gemini`) or Codex',
    '(`codex`): each reads its MCP config (`.mcp.json`, `.gemini/settings.json`, `.codex/config.toml`) and',
    'its instructions (`CLAUDE.md`, `GEMINI.md`, `AGENTS.md`) from the folder.',
    '',
    `Re-running \`mmos init\` keeps the files you edited and regenerates the others (see \`${MANIFEST_FILE}\`).`,
    '',
  ].join('\n');
}

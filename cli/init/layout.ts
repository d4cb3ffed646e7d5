import { readFileSync, readdirSync } from 'node:fs';
import { claudeMcpJson, codexConfigToml, geminiSettingsJson, type Connection } from './configs.js';
import type { PlannedFile } from './manifest.js';
import { ADMIN_FOLDER, type WorkerPlan } from './presets.js';

/**
 * The original notes' deployment structure, one folder per agent session:
 *   AdminClaude/      .mcp.json, .gemini/settings.json, .codex/config.toml, CLAUDE.md, GEMINI.md,
 *                     AGENTS.md, slash commands (.claude/commands, .gemini/commands), projects/
 *   WorkerClaude1/    the same configs and instruction files for a worker, workspace/
 *   WorkerGemini2/    ...
 * Every folder carries all three configs and instruction files, so any of the three agent CLIs can
 * be started in any folder; the folder's name says which one it was planned for.
 */
const TEMPLATES = new URL('../../templates/', import.meta.url);

function template(name: string): string {
  return readFileSync(new URL(name, TEMPLATES), 'utf8');
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The instruction file each agent CLI reads on start. */
const INSTRUCTION_FILES = ['CLAUDE.md', 'GEMINI.md', 'AGENTS.md'] as const;

export interface AgentFolder {
  folder: string;
  role: 'admin' | 'worker';
  agentId: string;
  connection: Connection;
  /** Filled into the instruction template. */
  values: Record<string, string>;
  /** Empty folders to create: workspace/ or projects/. */
  dirs: string[];
}

export function agentFiles(a: AgentFolder): PlannedFile[] {
  const at = (p: string) => `${a.folder}/${p}`;
  const instructions = fill(template(a.role === 'admin' ? 'admin.md' : 'worker.md'), a.values);
  const files: PlannedFile[] = [
    { path: at('.mcp.json'), content: claudeMcpJson(a.connection) },
    { path: at('.gemini/settings.json'), content: geminiSettingsJson(a.connection) },
    { path: at('.codex/config.toml'), content: codexConfigToml(a.connection) },
    ...INSTRUCTION_FILES.map((f) => ({ path: at(f), content: instructions })),
  ];
  if (a.role === 'admin') files.push(...slashCommands(a.folder));
  return files;
}

interface SlashCommand {
  name: string;
  description: string;
  body: string;
}

function readSlashCommands(): SlashCommand[] {
  return readdirSync(new URL('commands/', TEMPLATES))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => {
      const text = template(`commands/${f}`);
      const m = /^---\ndescription: (.*)\n---\n([\s\S]*)$/.exec(text.replace(/\r\n/g, '\n'));
      if (!m) throw new Error(`templates/commands/${f} must start with a '---' front matter holding a description`);
      return { name: f.slice(0, -3), description: m[1]!.trim(), body: m[2]! };
    });
}

/** The notes' admin commands, for Claude Code (.claude/commands/*.md) and Gemini CLI (.gemini/commands/*.toml). */
function slashCommands(folder: string): PlannedFile[] {
  return readSlashCommands().flatMap((c) => [
    {
      path: `${folder}/.claude/commands/${c.name}.md`,
      content: `---\ndescription: ${c.description}\n---\n${fill(c.body, { ARGS: '$ARGUMENTS' })}`,
    },
    {
      path: `${folder}/.gemini/commands/${c.name}.toml`,
      content: `description = ${JSON.stringify(c.description)}\nprompt = '''\n${fill(c.body, { ARGS: '{{args}}' })}'''\n`,
    },
  ]);
}

export function connectionLine(c: Connection): string {
  return c.mode === 'stdio'
    ? 'connection: the `mmos` MCP server runs beside you over stdio (`node bin/mmos.mjs mcp`, configured in .mcp.json) on a shared server database'
    : `connection: the MMOS hub at ${c.url} with your own bearer token (configured in .mcp.json); the hub must be running (\`mmos serve\`)`;
}

export function registrationText(w: WorkerPlan, c: Connection): string {
  if (c.mode === 'stdio')
    return `The \`mmos\` server registered you as ${w.workerId} when it started (from its environment) and sends your heartbeat while this session runs: start with the loop.`;
  return [
    `Your token already says you are ${w.workerId}. At the start of each session call \`register_worker\` once`,
    `(it is safe to repeat) with instanceName "${w.workerName}", modelType "${w.workerType}" and capabilities`,
    `${JSON.stringify(w.capabilities)}, then follow the loop.`,
  ].join('\n');
}

export function adminFolder(connection: Connection): AgentFolder {
  return {
    folder: ADMIN_FOLDER,
    role: 'admin',
    agentId: ADMIN_FOLDER,
    connection,
    values: { INSTANCE_NAME: ADMIN_FOLDER, CONNECTION: connectionLine(connection) },
    dirs: ['projects'],
  };
}

export function workerFolder(w: WorkerPlan, connection: Connection): AgentFolder {
  return {
    folder: w.folder,
    role: 'worker',
    agentId: w.workerId,
    connection,
    values: {
      WORKER_ID: w.workerId,
      WORKER_NAME: w.workerName,
      WORKER_TYPE: w.workerType,
      CAPABILITIES: w.capabilities.join(', '),
      CONNECTION: connectionLine(connection),
      REGISTRATION: registrationText(w, connection),
    },
    dirs: ['workspace'],
  };
}

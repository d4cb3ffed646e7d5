import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../db/open.js';
import { resolveAgentToken } from '../generated/index.js';
import { BIN, parseMiniToml, runMmos, tempDir, type RunResult } from './cli-support.js';

const URL_A = 'postgres://mmos:secret@db.example:5432/team';
const URL_B = 'postgres://mmos:secret@db2.example:5432/team';
const FOLDERS = ['AdminClaude', 'WorkerClaude1', 'WorkerGemini2', 'WorkerCodex3'];
const PER_FOLDER = ['.mcp.json', '.gemini/settings.json', '.codex/config.toml', 'CLAUDE.md', 'GEMINI.md', 'AGENTS.md'];

const read = (root: string, p: string) => readFileSync(join(root, p), 'utf8');
const json = (root: string, p: string) => JSON.parse(read(root, p)) as { mcpServers: Record<string, Record<string, unknown>> };

describe('mmos init with a server database (stdio servers)', { timeout: 240_000 }, () => {
  let root: string;
  let first: RunResult;
  beforeAll(async () => {
    root = join(tempDir('init'), 'team');
    first = await runMmos(['init', root, '--workers', '3', '--url', URL_A, '--skip-deploy']);
  });
  afterAll(() => rmSync(join(root, '..'), { recursive: true, force: true }));

  it('lays out the admin and worker folders of the original notes', () => {
    expect(first.code, first.stderr).toBe(0);
    for (const f of FOLDERS) for (const p of PER_FOLDER) expect(existsSync(join(root, f, p)), `${f}/${p}`).toBe(true);
    expect(statSync(join(root, 'AdminClaude', 'projects')).isDirectory()).toBe(true);
    for (const f of FOLDERS.slice(1)) expect(statSync(join(root, f, 'workspace')).isDirectory()).toBe(true);
    expect(existsSync(join(root, 'AdminClaude', 'workspace'))).toBe(false);
    for (const c of ['discover-workers', 'create-project', 'assign-task', 'project-status', 'system-health']) {
      expect(read(root, `AdminClaude/.claude/commands/${c}.md`)).toMatch(/^---\ndescription: .+\n---\n/);
      expect(parseMiniToml(read(root, `AdminClaude/.gemini/commands/${c}.toml`))['prompt']).toContain('{{args}}');
    }
    expect(existsSync(join(root, 'WorkerClaude1', '.claude', 'commands'))).toBe(false);
    expect(first.stdout).toContain('AdminClaude');
  });

  it('writes Claude Code .mcp.json stdio entries with each identity in the environment', () => {
    const admin = json(root, 'AdminClaude/.mcp.json').mcpServers['mmos']!;
    expect(admin).toEqual({ type: 'stdio', command: 'node', args: [BIN, 'mcp'], env: { ROLE: 'admin', INSTANCE_NAME: 'AdminClaude', MMOS_DATABASE_URL: URL_A } });
    const w2 = json(root, 'WorkerGemini2/.mcp.json').mcpServers['mmos']!;
    expect(w2['env']).toEqual({
      ROLE: 'worker',
      WORKER_ID: 'worker-2',
      WORKER_NAME: 'Gemini-Worker-2',
      WORKER_TYPE: 'Gemini',
      CAPABILITIES: 'general,planning,research',
      MMOS_DATABASE_URL: URL_A,
    });
    expect((json(root, 'WorkerClaude1/.mcp.json').mcpServers['mmos']!['env'] as Record<string, string>)['CAPABILITIES']).toBe('general,coding,analysis');
    expect((json(root, 'WorkerCodex3/.mcp.json').mcpServers['mmos']!['env'] as Record<string, string>)['WORKER_TYPE']).toBe('Codex');
  });

  it('writes the same server for Gemini CLI and Codex CLI in their formats', () => {
    for (const f of FOLDERS) {
      const claude = json(root, `${f}/.mcp.json`).mcpServers['mmos']!;
      const gemini = json(root, `${f}/.gemini/settings.json`).mcpServers['mmos']!;
      expect(gemini).toEqual({ command: 'node', args: [BIN, 'mcp'], env: claude['env'] });
      const codex = parseMiniToml(read(root, `${f}/.codex/config.toml`)) as { mcp_servers: { mmos: Record<string, unknown> } };
      expect(codex.mcp_servers.mmos['command']).toBe('node');
      expect(codex.mcp_servers.mmos['args']).toEqual([BIN, 'mcp']);
      expect(codex.mcp_servers.mmos['env']).toEqual(claude['env']);
    }
  });

  it('fills the identity and the loop into the role instructions', () => {
    const worker = read(root, 'WorkerGemini2/CLAUDE.md');
    expect(worker).toContain('worker id: worker-2');
    expect(worker).toContain('type: Gemini');
    expect(worker).toContain('capabilities: general, planning, research');
    for (const tool of ['claim_next_task', 'report_progress', 'complete_task', 'fail_task', 'read_messages']) expect(worker).toContain(tool);
    expect(worker).not.toMatch(/\{\{[A-Z_]+\}\}/);
    expect(read(root, 'WorkerGemini2/GEMINI.md')).toBe(worker);
    expect(read(root, 'WorkerGemini2/AGENTS.md')).toBe(worker);
    const admin = read(root, 'AdminClaude/CLAUDE.md');
    expect(admin).toContain('instance name: AdminClaude');
    for (const tool of ['create_project', 'add_tasks', 'list_workers', 'get_project_status']) expect(admin).toContain(tool);
    expect(admin).not.toContain('claim_next_task`:');
  });

  it('on a re-run keeps an edited file, regenerates untouched ones and recreates deleted ones', async () => {
    const edited = `${read(root, 'WorkerClaude1/CLAUDE.md')}\nAlways write tests first.\n`;
    writeFileSync(join(root, 'WorkerClaude1/CLAUDE.md'), edited);
    const editedJson = read(root, 'WorkerGemini2/.mcp.json').replace('"mmos"', '"mmos-renamed"');
    writeFileSync(join(root, 'WorkerGemini2/.mcp.json'), editedJson);
    rmSync(join(root, 'AdminClaude/AGENTS.md'));

    const again = await runMmos(['init', root, '--workers', '3', '--url', URL_B, '--skip-deploy']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('kept your edit: WorkerClaude1/CLAUDE.md');
    expect(again.stderr).toContain('kept your edit: WorkerGemini2/.mcp.json');
    expect(read(root, 'WorkerClaude1/CLAUDE.md')).toBe(edited);
    expect(read(root, 'WorkerGemini2/.mcp.json')).toBe(editedJson);
    // untouched files follow the new options
    expect((json(root, 'WorkerClaude1/.mcp.json').mcpServers['mmos']!['env'] as Record<string, string>)['MMOS_DATABASE_URL']).toBe(URL_B);
    expect(read(root, 'WorkerGemini2/.codex/config.toml')).toContain(URL_B);
    expect(existsSync(join(root, 'AdminClaude/AGENTS.md'))).toBe(true);

    // a third run still keeps the edits (the manifest remembers what init wrote, not what it found)
    const third = await runMmos(['init', root, '--workers', '3', '--url', URL_B, '--skip-deploy']);
    expect(third.stderr).toContain('kept your edit: WorkerClaude1/CLAUDE.md');
    expect(read(root, 'WorkerClaude1/CLAUDE.md')).toBe(edited);
    expect(third.stderr).toMatch(/0 file\(s\) written/);
  });

  it('never overwrites a file that was there before init', async () => {
    const dir = join(tempDir('init-pre'), 'team');
    const mine = '{"mcpServers": {"other": {"command": "x"}}}\n';
    await runMmos(['init', dir, '--workers', '1', '--url', URL_A, '--skip-deploy']);
    rmSync(join(dir, '.mmos-init.json'));
    writeFileSync(join(dir, 'AdminClaude/.mcp.json'), mine);
    const r = await runMmos(['init', dir, '--workers', '1', '--url', URL_B, '--skip-deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('kept your edit: AdminClaude/.mcp.json');
    expect(read(dir, 'AdminClaude/.mcp.json')).toBe(mine);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('takes the worker kinds from --agents and refuses bad options with exit 2', async () => {
    const dir = join(tempDir('init-agents'), 'team');
    const r = await runMmos(['init', dir, '--workers', '2', '--agents', 'codex', '--url', URL_A, '--skip-deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'WorkerCodex1'))).toBe(true);
    expect(existsSync(join(dir, 'WorkerCodex2'))).toBe(true);
    for (const bad of [
      ['--agents', 'claude,llama'],
      ['--workers', '0'],
      ['--url', 'mysql://x/y'],
      ['--url', URL_A, '--hub', 'http://127.0.0.1:7337'],
      ['--url', URL_A, '--rotate-tokens'],
    ]) {
      const b = await runMmos(['init', dir, ...bad]);
      expect(b.code, `${bad.join(' ')}: ${b.stderr}`).toBe(2);
      expect(b.stderr).toMatch(/^mmos init: /);
    }
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
});

/** Who the embedded database says a token stands for (the hub asks the same procedure). */
async function resolveTokens(data: string, tokens: string[]): Promise<({ tenantId: string | null; agentId: string | null; role: string | null } | undefined)[]> {
  const engine = await openEngine({ dataDir: data });
  try {
    const out = [];
    for (const t of tokens) {
      const hash = createHash('sha256').update(t, 'utf8').digest('hex');
      out.push((await resolveAgentToken(engine, { tenantId: '', callerId: 'test' }, { tokenHash: hash }))[0]);
    }
    return out;
  } finally {
    await engine.close();
  }
}

const bearerOf = (root: string, folder: string): string => {
  const h = (json(root, `${folder}/.mcp.json`).mcpServers['mmos']!['headers'] as Record<string, string>)['Authorization']!;
  expect(h).toMatch(/^Bearer \S+$/);
  return h.slice('Bearer '.length);
};

describe('mmos init with the embedded engine (http entries with bearer tokens)', { timeout: 240_000 }, () => {
  let dir: string;
  let root: string;
  let data: string;
  const hub = 'http://127.0.0.1:7444';
  const init = (...extra: string[]) => runMmos(['init', root, '--workers', '2', '--data', data, '--hub', hub, ...extra]);
  beforeAll(() => {
    dir = tempDir('init-http');
    root = join(dir, 'team');
    data = join(dir, 'data');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes http entries in all three formats with one token per agent, each resolving to its identity', async () => {
    const r = await init();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`mmos serve --data ${JSON.stringify(data)} --port 7444`);
    const folders = ['AdminClaude', 'WorkerClaude1', 'WorkerGemini2'];
    const tokens = folders.map((f) => bearerOf(root, f));
    expect(new Set(tokens).size).toBe(3);
    for (const [i, f] of folders.entries()) {
      const header = { Authorization: `Bearer ${tokens[i]}` };
      expect(json(root, `${f}/.mcp.json`).mcpServers['mmos']).toEqual({ type: 'http', url: `${hub}/mcp`, headers: header });
      expect(json(root, `${f}/.gemini/settings.json`).mcpServers['mmos']).toEqual({ httpUrl: `${hub}/mcp`, headers: header });
      const codex = parseMiniToml(read(root, `${f}/.codex/config.toml`)) as { mcp_servers: { mmos: Record<string, unknown> } };
      expect(codex.mcp_servers.mmos).toEqual({ url: `${hub}/mcp`, http_headers: header });
    }
    expect(await resolveTokens(data, tokens)).toEqual([
      { tenantId: 'default', agentId: 'AdminClaude', role: 'admin' },
      { tenantId: 'default', agentId: 'worker-1', role: 'worker' },
      { tenantId: 'default', agentId: 'worker-2', role: 'worker' },
    ]);
    // over http the worker registers itself: its instructions say how
    expect(read(root, 'WorkerGemini2/GEMINI.md')).toContain('register_worker');
    expect(read(root, 'WorkerGemini2/GEMINI.md')).toContain('"Gemini-Worker-2"');
  });

  it('a re-run keeps the tokens (no second token for any agent); --rotate-tokens replaces them', async () => {
    const before = ['AdminClaude', 'WorkerClaude1'].map((f) => bearerOf(root, f));
    const again = await init();
    expect(again.code, again.stderr).toBe(0);
    expect(['AdminClaude', 'WorkerClaude1'].map((f) => bearerOf(root, f))).toEqual(before);
    const list = await runMmos(['token', 'list', '--data', data]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter((l) => /\b(AdminClaude|worker-1|worker-2)\b/.test(l))).toHaveLength(3);

    const rotated = await init('--rotate-tokens');
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = ['AdminClaude', 'WorkerClaude1'].map((f) => bearerOf(root, f));
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    const [oldAdmin, newAdmin] = await resolveTokens(data, [before[0]!, after[0]!]);
    expect(oldAdmin).toBeUndefined();
    expect(newAdmin).toEqual({ tenantId: 'default', agentId: 'AdminClaude', role: 'admin' });
    const active = await runMmos(['token', 'list', '--data', data]);
    expect(active.stdout.split('\n').filter((l) => /\b(AdminClaude|worker-1|worker-2)\b/.test(l))).toHaveLength(3);
  });

  it('refuses to give a second token to an agent whose token it did not make', async () => {
    const other = join(dir, 'other-team');
    const before = await runMmos(['token', 'list', '--all', '--data', data]);
    const r = await runMmos(['init', other, '--workers', '1', '--data', data, '--hub', hub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AdminClaude, worker-1 already have tokens that this folder did not make');
    expect(r.stderr).toContain('--rotate-tokens');
    const after = await runMmos(['token', 'list', '--all', '--data', data]);
    expect(after.stdout).toBe(before.stdout);
    expect(existsSync(join(other, 'AdminClaude', '.mcp.json'))).toBe(false);
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../db/open.js';
import { deploy } from '../db/deploy.js';
import { addTasks, createProject, registerWorker } from '../generated/index.js';
import { runMmos, tempDir } from './cli-support.js';

describe('mmos commands on the embedded engine', { timeout: 240_000 }, () => {
  let dir: string;
  let data: string;
  beforeAll(() => {
    dir = tempDir('cmd');
    data = join(dir, 'data');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('db deploy applies everything once, then reports everything unchanged', async () => {
    const first = await runMmos(['db', 'deploy', '--data', data]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^engine: +pglite$/m);
    expect(first.stdout).toMatch(/^migrations applied: [1-9]\d* \(001_core/m);
    expect(first.stdout).toMatch(/^objects updated: +[1-9]\d* \(/m);
    expect(first.stdout).toMatch(/^objects unchanged: +0$/m);
    const version = /^schema version: +(\d+)$/m.exec(first.stdout)?.[1];
    expect(Number(version)).toBeGreaterThanOrEqual(1);
    const updated = Number(/^objects updated: +(\d+)/m.exec(first.stdout)?.[1]);

    const second = await runMmos(['db', 'deploy', '--data', data]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^migrations applied: none$/m);
    expect(second.stdout).toMatch(/^objects updated: +none$/m);
    expect(second.stdout).toMatch(new RegExp(`^objects unchanged: +${updated}$`, 'm'));
    expect(second.stdout).toMatch(new RegExp(`^schema version: +${version}$`, 'm'));
    expect(second.stdout).toMatch(/^jobs: +not applicable/m);
  });

  it('status prints the workers as an aligned table', async () => {
    const engine = await openEngine({ dataDir: data });
    try {
      await deploy(engine); // unchanged when the deploy test ran first
      for (const [id, type] of [['worker-7', 'Claude'], ['worker-10', 'Gemini']] as const)
        await registerWorker(engine, { tenantId: 'default', callerId: id, role: 'worker' }, {
          instanceName: `${type}-Worker`,
          modelType: type,
          capabilities: ['general', 'coding'],
          workerCapacity: 2,
        });
    } finally {
      await engine.close();
    }
    const r = await runMmos(['status', '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('WORKER '));
    expect(header, r.stdout).toBeGreaterThan(0);
    expect(lines[header - 1]).toBe('Workers');
    expect(lines[header + 1]).toMatch(/^-+( +-+)+$/);
    const rows = lines.slice(header + 2, header + 4);
    expect(rows[0]).toMatch(/^worker-10 +Gemini-Worker +Gemini +online +0\/2 /);
    expect(rows[1]).toMatch(/^worker-7 +Claude-Worker +Claude +online +0\/2 /);
    // aligned: every column starts where its header starts
    const col = (line: string, text: string) => line.indexOf(text);
    expect(col(rows[0]!, 'Gemini ')).toBe(col(lines[header]!, 'TYPE'));
    expect(col(rows[1]!, 'Claude ')).toBe(col(lines[header]!, 'TYPE'));
    expect(col(rows[0]!, 'online')).toBe(col(lines[header]!, 'STATUS'));
    expect(r.stdout).toContain('Projects');

    const other = await runMmos(['status', '--data', data], { env: { MMOS_TENANT: 'another-team' } });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('(no workers registered yet)');
  });

  it('status lists the projects, and --project shows one project with its tasks', async () => {
    const admin = { tenantId: 'default', callerId: 'mmos-test', role: 'admin' as const };
    let projectId = 0;
    const engine = await openEngine({ dataDir: data });
    try {
      await deploy(engine); // unchanged when the deploy test ran first
      projectId = Number((await createProject(engine, admin, { projectName: 'Test API', priority: 5 }))[0]!.projectId);
      await addTasks(engine, admin, {
        projectId,
        tasks: [
          { key: 'design', title: 'Design the endpoints' },
          { key: 'build', title: 'Build the endpoints', dependsOn: ['design'] },
        ],
      });
    } finally {
      await engine.close();
    }
    const all = await runMmos(['status', '--data', data]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.split('\n');
    const header = lines.indexOf('Projects') + 1;
    expect(lines[header]).toMatch(/^PROJECT +NAME +STATUS +PRIORITY +TASKS +DONE +PROGRESS/);
    expect(lines[header + 2]).toMatch(new RegExp(`^ *${projectId} +Test API +active +5 +2 +0 +0%`));

    const one = await runMmos(['status', '--data', data, '--project', String(projectId)]);
    expect(one.code, one.stderr).toBe(0);
    const out = one.stdout.split('\n');
    expect(out[0]).toBe(`Project ${projectId}: Test API (active), 0% done`);
    expect(out[1]).toBe('2 tasks: 1 blocked, 1 ready, 0 running, 0 review, 0 done, 0 failed, 0 cancelled');
    expect(out[2]).toMatch(/^ *TASK +KEY +TITLE +PHASE +STATUS/);
    expect(out.find((l) => /\bdesign\b/.test(l))).toMatch(/design +Design the endpoints +ready/);
    expect(out.find((l) => /\bbuild\b/.test(l))).toMatch(/build +Build the endpoints +blocked .*1 dependencies$/);

    const missing = await runMmos(['status', '--data', data, '--project', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mmos status: error 50404 \(not_found\): .*999999/);
  });

  it('token create prints a token, token list shows it without the secret, token revoke ends it', async () => {
    const created = await runMmos(['token', 'create', '--agent', 'worker-9', '--role', 'worker', '--label', 'laptop', '--data', data]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^mmos_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('created a worker token for worker-9');

    const list = await runMmos(['token', 'list', '--data', data]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +AGENT +ROLE +LABEL +CREATED +BY$/);
    expect(lines.find((l) => l.includes('worker-9'))).toMatch(/^ +\d+ +worker-9 +worker +laptop +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +mmos-cli$/);
    expect(list.stdout).not.toContain(token);

    const revoked = await runMmos(['token', 'revoke', '--agent', 'worker-9', '--data', data]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe('revoked 1 token of worker-9');
    const after = await runMmos(['token', 'list', '--data', data]);
    expect(after.stdout).not.toContain('worker-9');
    const all = await runMmos(['token', 'list', '--all', '--data', data]);
    expect(all.stdout.split('\n')[0]).toMatch(/ REVOKED$/);
    expect(all.stdout).toContain('worker-9');

    const again = await runMmos(['token', 'revoke', '--agent', 'worker-9', '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^mmos token revoke: error 50404 \(not_found\): .*worker-9/);
    const bad = await runMmos(['token', 'create', '--agent', 'x', '--role', 'boss', '--data', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--role must be one of admin, worker, reader, got 'boss'");
    const missing = await runMmos(['token', 'create', '--role', 'worker', '--data', data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--agent ID is required');
  });

  it('refuses to open an embedded database another live process holds, and takes over a stale lock', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(`${data}.lock`, String(holder.pid)); // the format of db/data-dir-lock.ts, which every opener of the folder takes
      const r = await runMmos(['status', '--data', data]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is open in process ${holder.pid}`);
      expect(r.stderr).toContain('only one process may open it');
      expect(r.stdout).toBe('');
      const d = await runMmos(['db', 'deploy', '--data', data]);
      expect(d.code).toBe(1);
      expect(d.stderr).toContain('is open in process');
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    // the holder is gone: its lock protects nothing, so the next command takes it over
    const after = await runMmos(['status', '--data', data]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('worker-7');
  });

  it('says what went wrong with a server database it cannot reach', async () => {
    const r = await runMmos(['status', '--url', 'postgres://postgres@127.0.0.1:1/nothing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mmos status: cannot reach the database at postgres:\/\/postgres@127\.0\.0\.1:1\/nothing/);
  });
});

describe('mmos command line', { timeout: 240_000 }, () => {
  it('unknown commands and options exit 2 with a message on stderr', async () => {
    for (const args of [['frobnicate'], ['db'], ['db', 'destroy'], ['token', 'steal'], ['serve', '--prot', '1'], ['status', 'extra'], []]) {
      const r = await runMmos(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
    const r = await runMmos(['serve', '--prot', '1']);
    expect(r.stderr).toContain("mmos serve: unknown option '--prot'");
    expect(r.stderr).toContain("mmos serve --help");
    expect((await runMmos(['frobnicate'])).stderr).toContain("unknown command 'frobnicate'");
  });

  it('--help works for the command and each subcommand', async () => {
    const all = await runMmos(['--help']);
    expect(all.code).toBe(0);
    for (const c of ['init', 'serve', 'mcp', 'status', 'db deploy', 'token create', 'token list', 'token revoke', 'demo']) {
      expect(all.stdout).toContain(`  ${c} `);
      const h = await runMmos([...c.split(' '), '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: mmos ${c}`));
    }
  });

  it('demo takes no arguments (its run is test/demo.test.ts)', async () => {
    const r = await runMmos(['demo', 'extra']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mmos demo: unexpected argument 'extra'");
    expect((await runMmos(['demo', '--help'])).stdout).toContain('Scenario 3');
  });
});

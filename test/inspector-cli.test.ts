import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from './cli-support.js';

/**
 * An outside client: the MCP Inspector's CLI mode (@modelcontextprotocol/inspector 0.15, the last
 * release that runs on Node 20) starts `mmos mcp` as a worker over stdio, lists its tools and calls
 * one, exactly as `npx @modelcontextprotocol/inspector --cli node bin/mmos.mjs mcp ...` would.
 */
const INSPECTOR = join(process.cwd(), 'node_modules', '@modelcontextprotocol', 'inspector', 'cli', 'build', 'cli.js');

function inspector(dataDir: string, method: string[]): Promise<unknown> {
  const env = ['ROLE=worker', 'WORKER_ID=inspector-w1', 'WORKER_NAME=Inspector-Worker', 'WORKER_TYPE=Claude', 'CAPABILITIES=general,coding', `MMOS_DATA_DIR=${dataDir}`]
    .flatMap((e) => ['-e', e]);
  return new Promise((resolve, reject) => {
    // stdin closed, as in a script with no terminal.
    const child = spawn(process.execPath, [INSPECTOR, '--cli', ...env, process.execPath, BIN, 'mcp', ...method], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`inspector exited ${code}\n${stderr.slice(-2000)}`));
    });
  });
}

describe('MCP Inspector CLI against mmos mcp (stdio, embedded engine)', () => {
  it('lists the worker toolset and calls a tool', async () => {
    const dataDir = join(tempDir('inspector'), 'data');
    const listed = (await inspector(dataDir, ['--method', 'tools/list'])) as { tools: { name: string; annotations?: Record<string, boolean> }[] };
    const names = listed.tools.map((t) => t.name);
    expect(names).toContain('claim_next_task');
    expect(names).toContain('complete_task');
    expect(names).not.toContain('create_project');
    expect(names).not.toContain('add_tasks');
    for (const t of listed.tools) expect(t.annotations, t.name).toMatchObject({ openWorldHint: false });

    const called = (await inspector(dataDir, ['--method', 'tools/call', '--tool-name', 'list_workers'])) as {
      structuredContent?: { rows: { workerId: string }[] };
      isError?: boolean;
    };
    expect(called.isError ?? false).toBe(false);
    // The server registered the worker from its environment at start.
    expect(called.structuredContent?.rows.map((r) => r.workerId)).toContain('inspector-w1');
  }, 180_000);
});

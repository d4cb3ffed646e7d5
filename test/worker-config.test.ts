import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultStdioServer, workerConfigFromFlags, WorkerConfigError } from '../worker/config.js';

describe('worker configuration from flags and environment', () => {
  it('defaults: claude preset over a stdio server started with the worker identity', () => {
    const c = workerConfigFromFlags({ name: 'Claude Worker 1', url: 'postgres://db/x' }, { PATH: '/bin' }, '/home/u');
    expect(c.preset.name).toBe('claude');
    expect(c.commandTemplate).toBe('claude -p --output-format json');
    expect(c.workerId).toBe('claude-worker-1');
    expect(c.registration).toEqual({
      instanceName: 'Claude Worker 1', modelType: 'Claude', modelName: null, capabilities: ['general'],
      workerCapacity: 1, qualityTier: 2, inputUsdPerMillionTokens: 0, outputUsdPerMillionTokens: 0,
    });
    expect(c.connection).toMatchObject({ kind: 'stdio', ...defaultStdioServer() });
    const env = (c.connection as { env: Record<string, string> }).env;
    expect(env).toMatchObject({ ROLE: 'worker', WORKER_ID: 'claude-worker-1', WORKER_NAME: 'Claude Worker 1', WORKER_TYPE: 'Claude', CAPABILITIES: 'general', MMOS_DATABASE_URL: 'postgres://db/x', PATH: '/bin' });
    expect(c.workspaceRoot).toBe(path.resolve('/home/u', '.mmos/work/claude-worker-1'));
    expect([c.leaseSeconds, c.taskTimeoutSeconds, c.shutdownGraceMs, c.heartbeatMs]).toEqual([300, 1800, 10_000, 30_000]);
  });

  it('reads the environment names of the original notes', () => {
    const c = workerConfigFromFlags({ agent: 'gemini' }, { WORKER_ID: 'worker-2', WORKER_NAME: 'Gemini-1', WORKER_TYPE: 'Gemini', CAPABILITIES: 'Research, docs,research', MMOS_WORKER_CAPACITY: '3' });
    expect(c.workerId).toBe('worker-2');
    expect(c.preset.name).toBe('gemini');
    expect(c.registration).toMatchObject({ instanceName: 'Gemini-1', modelType: 'Gemini', capabilities: ['research', 'docs'], workerCapacity: 3 });
  });

  it('flags win over the environment; --hub needs a token and leaves identity to it', () => {
    const c = workerConfigFromFlags(
      { hub: 'http://127.0.0.1:7337/mcp', token: 'tok', capacity: '4', tier: '3', 'input-price': '3', 'output-price': '15.5', agent: 'node agent.mjs', preset: 'claude', workspace: 'ws', 'lease-seconds': '30', 'timeout-seconds': '60', 'grace-seconds': '0' },
      { MMOS_WORKER_CAPACITY: '9', MMOS_TOKEN: 'other' },
      '/tmp',
    );
    expect(c.connection).toEqual({ kind: 'http', url: 'http://127.0.0.1:7337/mcp', token: 'tok' });
    expect(c.workerId).toBeNull();
    expect(c.registration).toMatchObject({ workerCapacity: 4, qualityTier: 3, inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15.5 });
    expect([c.commandTemplate, c.preset.name, c.workspaceRoot]).toEqual(['node agent.mjs', 'claude', '/tmp/ws']);
    expect([c.leaseSeconds, c.taskTimeoutSeconds, c.shutdownGraceMs]).toEqual([30, 60, 0]);
  });

  it('refuses bad values with a message naming the flag', () => {
    const bad: [Record<string, string>, Record<string, string>, RegExp][] = [
      [{ capacity: '0' }, {}, /--capacity \(\$MMOS_WORKER_CAPACITY\) must be a whole number from 1 to 64, got '0'/],
      [{}, { MMOS_WORKER_CAPACITY: 'lots' }, /--capacity .* got 'lots'/],
      [{ tier: '4' }, {}, /--tier .* from 1 to 3/],
      [{ 'input-price': '-1' }, {}, /--input-price .* got '-1'/],
      [{ hub: 'http://h/mcp' }, {}, /--hub needs a worker token/],
      [{ hub: 'not a url', token: 't' }, {}, /--hub must be the hub's MCP URL/],
      [{ preset: 'llama' }, {}, /unknown preset 'llama'/],
      [{ preset: 'custom' }, {}, /custom preset needs --agent/],
      [{ 'mcp-command': 'node "x' }, {}, /--mcp-command: unterminated/],
    ];
    for (const [flags, env, message] of bad) expect(() => workerConfigFromFlags(flags, env)).toThrow(message);
    expect(() => workerConfigFromFlags({ capacity: '0' }, {})).toThrow(WorkerConfigError);
  });
});

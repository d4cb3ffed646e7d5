import { describe, expect, it } from 'vitest';
import {
  AgentOutputError,
  buildInvocation,
  MAX_PROMPT_ARGUMENT,
  parseClaudeOutput,
  parseCodexOutput,
  parseGeminiOutput,
  parsePlainOutput,
  resolvePreset,
} from '../worker/presets.js';
import { splitCommand } from '../worker/command-line.js';

// Sample outputs shaped like the real CLIs' (claude 2.x --output-format json, gemini-cli 0.x
// -o json, codex exec --json 0.4x); values are made up.
const CLAUDE_OK = JSON.stringify({
  type: 'result',
  subtype: 'success',
  is_error: false,
  duration_ms: 1998,
  duration_api_ms: 1976,
  num_turns: 1,
  result: 'Created src/api.ts with the three endpoints.',
  stop_reason: 'end_turn',
  session_id: '0e639165-79b1-4bd4-bb0f-4cb4c15115d4',
  total_cost_usd: 0.0079825,
  usage: { input_tokens: 3, cache_creation_input_tokens: 120, cache_read_input_tokens: 15635, output_tokens: 6, service_tier: 'standard' },
  modelUsage: { 'claude-sonnet-4-5-20250929': { inputTokens: 3, outputTokens: 6, costUSD: 0.0079825 } },
  permission_denials: [],
});

const GEMINI_OK = JSON.stringify({
  response: 'The capital of France is Paris.',
  stats: {
    models: {
      'gemini-2.5-pro': { api: { totalRequests: 2, totalErrors: 0, totalLatencyMs: 5053 }, tokens: { prompt: 24939, candidates: 20, total: 25113, cached: 21263, thoughts: 154, tool: 0 } },
      'gemini-2.5-flash': { api: { totalRequests: 1, totalErrors: 0, totalLatencyMs: 800 }, tokens: { prompt: 100, candidates: 5, total: 105, cached: 0, thoughts: 0, tool: 0 } },
    },
    tools: { totalCalls: 1, totalSuccess: 1, totalFail: 0, totalDurationMs: 1881, byName: {} },
    files: { totalLinesAdded: 0, totalLinesRemoved: 0 },
  },
});

const CODEX_OK = [
  '{"type":"thread.started","thread_id":"01999ce5-f229-7661-8570-53312bd47ea3"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Planning the change**"}}',
  '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}',
  '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"README.md\\n","exit_code":0,"status":"completed"}}',
  '{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"First draft."}}',
  '{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Repo contains docs, sdk, and examples directories."}}',
  '{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}',
].join('\n');

describe('claude preset output', () => {
  it('reads result, cost, and tokens (cached input counted as input)', () => {
    expect(parseClaudeOutput(CLAUDE_OK)).toEqual({
      result: 'Created src/api.ts with the three endpoints.',
      tokensIn: 3 + 120 + 15635,
      tokensOut: 6,
      costUsd: 0.0079825,
      isError: false,
      model: 'claude-sonnet-4-5-20250929',
    });
  });

  it('marks is_error and non-success subtypes as errors', () => {
    const err = parseClaudeOutput(JSON.stringify({ type: 'result', subtype: 'error_max_turns', is_error: true, total_cost_usd: 0.2, usage: { input_tokens: 10, output_tokens: 2 } }));
    expect(err.isError).toBe(true);
    expect(err.result).toBe('claude reported error_max_turns');
    expect(err.costUsd).toBe(0.2);
    expect(parseClaudeOutput(JSON.stringify({ type: 'result', subtype: 'error_max_budget_usd', is_error: false, result: 'partial' })).isError).toBe(true);
  });

  it('takes the final result event of stream-json output and skips notice lines', () => {
    const stream = ['{"type":"system","subtype":"init"}', '{"type":"assistant","message":{"content":[]}}', CLAUDE_OK].join('\n');
    expect(parseClaudeOutput(stream).result).toBe('Created src/api.ts with the three endpoints.');
    expect(parseClaudeOutput(`Update available!\n${CLAUDE_OK}\n`).costUsd).toBe(0.0079825);
  });

  it('refuses output that is not the JSON envelope', () => {
    expect(() => parseClaudeOutput('Hello there')).toThrow(AgentOutputError);
    expect(() => parseClaudeOutput('')).toThrow(/printed nothing/);
    expect(() => parseClaudeOutput('{"type":"result","subtype":"success","is_error":false}')).toThrow(/no result text/);
  });
});

describe('gemini preset output', () => {
  it('sums tokens over models; thinking tokens count as output; no cost', () => {
    expect(parseGeminiOutput(GEMINI_OK)).toEqual({
      result: 'The capital of France is Paris.',
      tokensIn: 24939 + 100,
      tokensOut: 20 + 154 + 5,
      costUsd: null,
      isError: false,
      model: 'gemini-2.5-pro',
    });
  });

  it('reports the error object as a failure', () => {
    const out = parseGeminiOutput(JSON.stringify({ response: '', stats: { models: {} }, error: { type: 'ApiError', message: 'quota exceeded', code: 429 } }));
    expect(out.isError).toBe(true);
    expect(out.result).toBe('gemini error ApiError: quota exceeded');
    expect(out.tokensIn).toBeNull();
  });

  it('skips a credentials notice before the document', () => {
    expect(parseGeminiOutput(`Loaded cached credentials.\n${JSON.stringify(JSON.parse(GEMINI_OK), null, 2)}`).result).toBe('The capital of France is Paris.');
  });

  it('refuses a document without response', () => {
    expect(() => parseGeminiOutput('{"stats":{}}')).toThrow(/no response text/);
  });
});

describe('codex preset output', () => {
  it('takes the last agent message and the turn usage', () => {
    expect(parseCodexOutput(CODEX_OK)).toEqual({
      result: 'Repo contains docs, sdk, and examples directories.',
      tokensIn: 24763,
      tokensOut: 122,
      costUsd: null,
      isError: false,
      model: null,
    });
  });

  it('reads the older item_type: assistant_message shape and sums several turns', () => {
    const older = [
      '{"type":"item.completed","item":{"id":"item_3","item_type":"assistant_message","text":"Old shape answer"}}',
      '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":3}}',
      '{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":0,"output_tokens":2}}',
    ].join('\n');
    expect(parseCodexOutput(older)).toMatchObject({ result: 'Old shape answer', tokensIn: 15, tokensOut: 5 });
  });

  it('turns turn.failed into an error', () => {
    const failed = ['{"type":"thread.started","thread_id":"x"}', '{"type":"error","message":"You\'ve hit your usage limit."}', '{"type":"turn.failed","error":{"message":"usage limit reached"}}'].join('\n');
    expect(parseCodexOutput(failed)).toMatchObject({ isError: true, result: 'codex failed: usage limit reached' });
  });

  it('refuses output without events or without an answer', () => {
    expect(() => parseCodexOutput('not json at all')).toThrow(/no JSON events/);
    expect(() => parseCodexOutput('{"type":"turn.started"}')).toThrow(/no agent message/);
  });
});

describe('custom preset output', () => {
  it('is the trimmed stdout with no usage', () => {
    expect(parsePlainOutput('  all done\n')).toEqual({ result: 'all done', tokensIn: null, tokensOut: null, costUsd: null, isError: false, model: null });
  });
});

describe('choosing a preset', () => {
  it('uses the preset default command for a bare name and infers the preset from the program', () => {
    expect(resolvePreset(undefined, undefined)).toMatchObject({ template: 'claude -p --output-format json', preset: { name: 'claude' } });
    expect(resolvePreset('gemini', undefined)).toMatchObject({ template: 'gemini -p {prompt} -o json', preset: { name: 'gemini' } });
    expect(resolvePreset('/usr/local/bin/codex exec --json -', undefined)).toMatchObject({ template: '/usr/local/bin/codex exec --json -', preset: { name: 'codex' } });
    expect(resolvePreset('node fake.mjs', 'claude')).toMatchObject({ template: 'node fake.mjs', preset: { name: 'claude' } });
    expect(resolvePreset('my-agent {prompt_file}', undefined).preset.name).toBe('custom');
  });

  it('refuses an unknown preset and a custom preset without a command', () => {
    expect(() => resolvePreset('x', 'llama')).toThrow(/unknown preset 'llama'/);
    expect(() => resolvePreset(undefined, 'custom')).toThrow(/needs --agent/);
  });
});

describe('building the invocation', () => {
  const ctx = { prompt: 'Do "X" now; $(rm -rf /)', promptFile: '/w/t/.mmos-task.md', workspace: '/w/t' };

  it('feeds stdin when the template has no prompt placeholder', () => {
    expect(buildInvocation('claude -p --output-format json', ctx)).toEqual({ command: 'claude', args: ['-p', '--output-format', 'json'], stdin: ctx.prompt });
  });

  it('passes the prompt as one argument, never re-split or shell-expanded', () => {
    expect(buildInvocation('gemini -p {prompt} -o json', ctx)).toEqual({ command: 'gemini', args: ['-p', ctx.prompt, '-o', 'json'], stdin: null });
  });

  it('fills {prompt_file} and {workspace} inside words and closes stdin', () => {
    expect(buildInvocation("run-agent --in={prompt_file} --dir '{workspace}'", ctx)).toEqual({ command: 'run-agent', args: ['--in=/w/t/.mmos-task.md', '--dir', '/w/t'], stdin: null });
  });

  it('moves a prompt too long for one argument to stdin', () => {
    const long = { ...ctx, prompt: 'x'.repeat(MAX_PROMPT_ARGUMENT + 1) };
    const inv = buildInvocation('gemini -p {prompt} -o json', long);
    expect(inv.args[1]).toMatch(/standard input/);
    expect(inv.stdin).toBe(long.prompt);
  });
});

describe('splitting a command line', () => {
  it('handles quotes and escapes like a shell, without expansion', () => {
    expect(splitCommand(`node "my dir/agent.mjs" --name 'a b' x\\ y "q\\"d" $HOME`)).toEqual(['node', 'my dir/agent.mjs', '--name', 'a b', 'x y', 'q"d', '$HOME']);
    expect(splitCommand('  a   ""  b ')).toEqual(['a', '', 'b']);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitCommand('node "oops')).toThrow(/unterminated " quote/);
  });
});

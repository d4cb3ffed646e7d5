import { splitCommand } from './command-line.js';

/**
 * How to run each agent CLI headless and read its answer. A preset is a command template plus a
 * pure parser of the CLI's stdout. Templates may use {prompt}, {prompt_file} and {workspace};
 * when a template uses neither {prompt} nor {prompt_file}, the prompt is written to stdin.
 */
export type PresetName = 'claude' | 'gemini' | 'codex' | 'custom';
export const PRESET_NAMES: readonly PresetName[] = ['claude', 'gemini', 'codex', 'custom'];

/** What an agent run produced, in the worker's terms. Null means the CLI did not say. */
export interface AgentOutput {
  result: string;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  /** The CLI itself reported failure (claude is_error, gemini error, codex turn.failed). */
  isError: boolean;
  model: string | null;
}

export class AgentOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentOutputError';
  }
}

export interface Preset {
  name: PresetName;
  /** The command when --agent names only the preset; undefined for custom (a template is required). */
  defaultCommand?: string;
  parse(stdout: string): AgentOutput;
}

/** Longest prompt passed as one argument; longer prompts go on stdin (Linux caps one argument at 128 KiB). */
export const MAX_PROMPT_ARGUMENT = 100_000;
const STDIN_HINT = 'Read the task description from standard input and carry it out.';

function asObject(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function sumOrNull(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

/**
 * The JSON document in a CLI's stdout: the whole text, else the last line that is a JSON object
 * (CLIs sometimes print a notice line before the document).
 */
function parseJsonDocument(stdout: string, cli: string): Record<string, unknown> {
  const text = stdout.trim();
  if (!text) throw new AgentOutputError(`${cli} printed nothing on stdout`);
  try {
    const whole = asObject(JSON.parse(text));
    if (whole) return whole;
  } catch {
    /* fall through to line-wise search */
  }
  const firstBrace = text.indexOf('\n{');
  if (firstBrace >= 0) {
    try {
      const tail = asObject(JSON.parse(text.slice(firstBrace + 1)));
      if (tail) return tail;
    } catch {
      /* fall through */
    }
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const obj = asObject(JSON.parse(lines[i]!));
      if (obj) return obj;
    } catch {
      /* keep looking */
    }
  }
  throw new AgentOutputError(`${cli} output is not JSON: ${text.slice(0, 300)}`);
}

/**
 * `claude -p --output-format json`: one object {type:'result', subtype, is_error, result,
 * total_cost_usd, usage:{input_tokens, cache_creation_input_tokens, cache_read_input_tokens,
 * output_tokens}, ...}. With --output-format stream-json the last line is that same object.
 * Tokens in counts cached input too: those tokens were read by the model (the reported cost
 * already prices them at the cache rates).
 */
export function parseClaudeOutput(stdout: string): AgentOutput {
  const lines = stdout.trim().split('\n');
  let doc: Record<string, unknown> | null = null;
  // stream-json: take the final 'result' event; plain json: the single document.
  for (let i = lines.length - 1; i >= 0 && !doc; i--) {
    try {
      const obj = asObject(JSON.parse(lines[i]!.trim()));
      if (obj && obj['type'] === 'result') doc = obj;
    } catch {
      /* not a JSON line */
    }
  }
  doc ??= parseJsonDocument(stdout, 'claude');
  const usage = asObject(doc['usage']) ?? {};
  const input = sumOrNull([num(usage['input_tokens']), num(usage['cache_creation_input_tokens']), num(usage['cache_read_input_tokens'])]);
  const subtype = typeof doc['subtype'] === 'string' ? doc['subtype'] : null;
  const isError = doc['is_error'] === true || (subtype !== null && subtype !== 'success');
  const result = typeof doc['result'] === 'string' ? doc['result'] : isError ? `claude reported ${subtype ?? 'an error'}` : '';
  if (!isError && typeof doc['result'] !== 'string') throw new AgentOutputError('claude output has no result text');
  const modelUsage = asObject(doc['modelUsage']);
  return {
    result,
    tokensIn: input,
    tokensOut: num(usage['output_tokens']),
    costUsd: num(doc['total_cost_usd']),
    isError,
    model: modelUsage ? (Object.keys(modelUsage)[0] ?? null) : null,
  };
}

/**
 * `gemini -p <prompt> -o json`: {response, stats:{models:{<model>:{tokens:{prompt, candidates,
 * total, cached, thoughts, tool}}}, tools, files}, error?:{type, message, code}}. Tokens are summed
 * over models; thinking tokens are billed as output, so they count as tokens out. No cost given.
 */
export function parseGeminiOutput(stdout: string): AgentOutput {
  const doc = parseJsonDocument(stdout, 'gemini');
  const error = asObject(doc['error']);
  const models = asObject(asObject(doc['stats'])?.['models']) ?? {};
  const ins: (number | null)[] = [];
  const outs: (number | null)[] = [];
  for (const m of Object.values(models)) {
    const tokens = asObject(asObject(m)?.['tokens']) ?? {};
    ins.push(num(tokens['prompt']));
    outs.push(num(tokens['candidates']), num(tokens['thoughts']));
  }
  const response = typeof doc['response'] === 'string' ? doc['response'] : null;
  if (!error && response === null) throw new AgentOutputError('gemini output has no response text');
  return {
    result: error ? `gemini error${error['type'] ? ` ${String(error['type'])}` : ''}: ${String(error['message'] ?? 'unknown')}` : response!,
    tokensIn: sumOrNull(ins),
    tokensOut: sumOrNull(outs),
    costUsd: null,
    isError: !!error,
    model: Object.keys(models)[0] ?? null,
  };
}

/**
 * `codex exec --json`: JSONL events. The answer is the last completed agent message
 * ({type:'item.completed', item:{type:'agent_message', text}}; releases before 0.44 wrote
 * item_type:'assistant_message'). Usage comes per turn ({type:'turn.completed', usage:
 * {input_tokens, cached_input_tokens, output_tokens}}; cached tokens are part of input_tokens).
 * turn.failed or a top-level error event with no answer means the run failed. No cost given.
 */
export function parseCodexOutput(stdout: string): AgentOutput {
  let message: string | null = null;
  let failure: string | null = null;
  const ins: (number | null)[] = [];
  const outs: (number | null)[] = [];
  let sawEvent = false;
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let ev: Record<string, unknown> | null;
    try {
      ev = asObject(JSON.parse(trimmed));
    } catch {
      continue;
    }
    if (!ev || typeof ev['type'] !== 'string') continue;
    sawEvent = true;
    const item = asObject(ev['item']);
    const usage = asObject(ev['usage']);
    switch (ev['type']) {
      case 'item.completed':
        if (item && (item['type'] === 'agent_message' || item['item_type'] === 'assistant_message' || item['item_type'] === 'agent_message') && typeof item['text'] === 'string')
          message = item['text'];
        break;
      case 'turn.completed':
        if (usage) {
          ins.push(num(usage['input_tokens']));
          outs.push(num(usage['output_tokens']));
        }
        break;
      case 'turn.failed': {
        const err = asObject(ev['error']);
        failure = String(err?.['message'] ?? 'turn failed');
        if (usage) {
          ins.push(num(usage['input_tokens']));
          outs.push(num(usage['output_tokens']));
        }
        break;
      }
      case 'error':
        failure ??= String(ev['message'] ?? 'error');
        break;
    }
  }
  if (!sawEvent) throw new AgentOutputError(`codex output has no JSON events: ${stdout.trim().slice(0, 300)}`);
  const isError = failure !== null;
  if (!isError && message === null) throw new AgentOutputError('codex output has no agent message');
  return {
    result: isError ? `codex failed: ${failure}` : message!,
    tokensIn: sumOrNull(ins),
    tokensOut: sumOrNull(outs),
    costUsd: null,
    isError,
    model: null,
  };
}

/** Any program: its stdout is the result; it reports no tokens or cost. */
export function parsePlainOutput(stdout: string): AgentOutput {
  return { result: stdout.trim(), tokensIn: null, tokensOut: null, costUsd: null, isError: false, model: null };
}

export const PRESETS: Record<PresetName, Preset> = {
  claude: { name: 'claude', defaultCommand: 'claude -p --output-format json', parse: parseClaudeOutput },
  gemini: { name: 'gemini', defaultCommand: 'gemini -p {prompt} -o json', parse: parseGeminiOutput },
  // '-' reads the prompt from stdin; a task workspace is a fresh folder, not a git checkout.
  codex: { name: 'codex', defaultCommand: 'codex exec --json --skip-git-repo-check -', parse: parseCodexOutput },
  custom: { name: 'custom', parse: parsePlainOutput },
};

/**
 * Which preset an --agent value means: an explicit --preset wins; else the command's program name
 * (claude, gemini, codex, with or without a path) picks it; anything else is custom.
 */
export function resolvePreset(agent: string | undefined, preset: string | undefined): { preset: Preset; template: string } {
  if (preset !== undefined && !PRESET_NAMES.includes(preset as PresetName))
    throw new Error(`unknown preset '${preset}': use ${PRESET_NAMES.join(', ')}`);
  const agentText = agent?.trim() ?? '';
  let name = preset as PresetName | undefined;
  if (!name) {
    const first = agentText ? splitCommand(agentText)[0] ?? '' : '';
    const program = first.split(/[\\/]/).pop()!.replace(/\.(exe|cmd|js|mjs)$/i, '');
    name = (['claude', 'gemini', 'codex'] as const).find((p) => p === program) ?? (agentText ? 'custom' : 'claude');
  }
  const chosen = PRESETS[name];
  // `--agent claude` (the bare program name) means the preset's full default command.
  const bare = !agentText || agentText === name;
  const template = bare ? chosen.defaultCommand : agentText;
  if (!template) throw new Error('the custom preset needs --agent "<command>" (placeholders: {prompt_file}, {workspace}, {prompt})');
  return { preset: chosen, template };
}

export interface Invocation {
  command: string;
  args: string[];
  /** Text for the agent's stdin; null closes stdin at once. */
  stdin: string | null;
}

/** Fills a command template for one task run. Placeholders are replaced inside words, never re-split. */
export function buildInvocation(template: string, ctx: { prompt: string; promptFile: string; workspace: string }): Invocation {
  const words = splitCommand(template);
  if (!words.length) throw new Error('empty agent command');
  const usesPromptArg = words.some((w) => w.includes('{prompt}'));
  const usesPromptFile = words.some((w) => w.includes('{prompt_file}'));
  const promptTooLong = ctx.prompt.length > MAX_PROMPT_ARGUMENT;
  const promptArg = promptTooLong ? STDIN_HINT : ctx.prompt;
  const filled = words.map((w) =>
    w.replace(/\{(prompt_file|prompt|workspace)\}/g, (_, key: string) =>
      key === 'prompt' ? promptArg : key === 'prompt_file' ? ctx.promptFile : ctx.workspace,
    ),
  );
  const stdin = (usesPromptArg && !promptTooLong) || (usesPromptFile && !usesPromptArg) ? null : ctx.prompt;
  return { command: filled[0]!, args: filled.slice(1), stdin };
}

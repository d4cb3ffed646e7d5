#!/usr/bin/env node
// The demo's stand-in for a real agent CLI, so `mmos demo` needs no API key and no network.
//   --as claude   answers like `claude -p --output-format json` (prompt on stdin): one result
//                 object with usage and total_cost_usd at claude-sonnet-4-5 prices ($3/$15 per M)
//   --as gemini   answers like `gemini -p <prompt> -o json`: {response, stats.models.<model>.tokens};
//                 gemini reports no cost, so MMOS prices the tokens from the worker's price table
// It thinks for a few hundred milliseconds (authentication: 1.5 s), then answers with a plausible result for the task
// (MMOS_TASK_KEY, set by the worker). On the first attempt (MMOS_ATTEMPT=1) of a task named in
// MMOS_DEMO_FAIL_ONCE (comma list) it fails like an overloaded API: stderr and exit code 1, so the
// demo shows a retry. The attempt number comes from the database, so the retry succeeds whichever
// worker takes it. A task named in MMOS_DEMO_CRASH crashes on every attempt: a way to watch the
// demo fail cleanly (exit 1 with the reason) instead of hanging.

async function readStdin() {
  if (process.stdin.isTTY) return '';
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function argAfter(flag) {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// The worker stopped (or was killed): a real CLI's session would end too; leave no orphan behind.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(70);
}, 200).unref();

const style = argAfter('--as') ?? 'claude';
const prompt = (await readStdin()).trim() || argAfter('-p') || '';
const key = process.env.MMOS_TASK_KEY || 'task';
const attempt = Number(process.env.MMOS_ATTEMPT || '1');
const keys = (name) => (process.env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const failOnce = keys('MMOS_DEMO_FAIL_ONCE');

const RESULTS = {
  'api-design': 'API design: resources /users, /sessions, /projects, /projects/{id}/items; JSON bodies, RFC 7807 errors, cursor pagination, versioned under /v1. OpenAPI skeleton in api.yaml.',
  'db-schema': 'Database schema: users, refresh_tokens, projects, items with FKs and created/updated timestamps; unique email; migrations 001-003 in migrations/.',
  auth: 'Authentication: POST /v1/users, POST /v1/sessions (argon2id password hashing), JWT access tokens (15 min) and rotating refresh tokens; auth middleware guards /v1/projects.',
  endpoints: 'Core endpoints: CRUD for /v1/projects and /v1/projects/{id}/items with validation, pagination and 404/409 handling; 42 unit tests pass.',
  logging: 'Logging: pino structured JSON logs, request id propagated as X-Request-Id, levels per environment, secrets redacted.',
  docs: 'Documentation: OpenAPI 3.1 document generated from the routes (openapi.json), README quick start and curl examples for every endpoint.',
  'e2e-tests': 'End-to-end tests: 18 scenarios (sign-up/login/refresh, CRUD, auth failures, validation errors, log lines carry request ids); all pass against a fresh database.',
};

// Deterministic, plausible sizes: a few thousand tokens in (prompt, context, files read), hundreds out.
const seed = [...key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 9973, 7);
const inputTokens = 2400 + Math.ceil(prompt.length / 4) + (seed % 1800);
const outputTokens = 450 + (seed % 900);
// Think times make the story readable: authentication takes longest, so Claude-Worker-1 is still
// busy with it when the docs task becomes ready.
const THINK_MS = { 'api-design': 400, 'db-schema': 500, auth: 1500, endpoints: 500, logging: 400, docs: 500, 'e2e-tests': 700 };
const thinkMs = THINK_MS[key] ?? 250 + (seed % 350);

await new Promise((r) => setTimeout(r, thinkMs));

if (failOnce.includes(key) && attempt === 1) {
  process.stderr.write(`API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}} (scripted failure on the first attempt of ${key})\n`);
  process.exit(1);
}
if (keys('MMOS_DEMO_CRASH').includes(key)) {
  process.stderr.write(`Segmentation fault while working on ${key} (MMOS_DEMO_CRASH)\n`);
  process.exit(139);
}

const result = RESULTS[key] ?? `Done: ${key}.`;
if (style === 'gemini') {
  const model = 'gemini-2.5-flash';
  const thoughts = Math.round(outputTokens / 3);
  process.stdout.write(
    JSON.stringify({
      response: result,
      stats: {
        models: { [model]: { api: { totalRequests: 1, totalErrors: 0, totalLatencyMs: thinkMs }, tokens: { prompt: inputTokens, candidates: outputTokens, total: inputTokens + outputTokens + thoughts, cached: 0, thoughts, tool: 0 } } },
        tools: { totalCalls: 0, totalSuccess: 0, totalFail: 0, totalDurationMs: 0 },
        files: { totalLinesAdded: 0, totalLinesRemoved: 0 },
      },
    }, null, 2) + '\n',
  );
} else {
  const model = 'claude-sonnet-4-5';
  const cost = Number(((inputTokens * 3 + outputTokens * 15) / 1_000_000).toFixed(6));
  process.stdout.write(
    JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      duration_ms: thinkMs,
      duration_api_ms: thinkMs - 20,
      num_turns: 3,
      result,
      session_id: `demo-${key}-${attempt}`,
      total_cost_usd: cost,
      usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens },
      modelUsage: { [model]: { inputTokens, outputTokens, costUSD: cost } },
    }) + '\n',
  );
}

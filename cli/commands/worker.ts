import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'a headless worker: claims tasks and runs an agent CLI (claude, gemini, codex or any program) per task',
  usage: '[--agent "<command>"] [--preset claude|gemini|codex|custom] [--hub URL --token T | --url URL] [options]',
  help: [
    '  --agent CMD            the agent command (default: claude -p --output-format json). A bare',
    '                         claude, gemini or codex means that preset\'s command; any other program',
    '                         is custom: placeholders {prompt_file}, {workspace}, {prompt}; without',
    '                         {prompt}/{prompt_file} the prompt goes to stdin; stdout is the result',
    '  --preset NAME          how to call the agent and read its output (default: from the program name)',
    '  --hub URL --token T    reach MMOS through the hub (http://127.0.0.1:7337/mcp); $MMOS_HUB_URL, $MMOS_TOKEN',
    '  --url URL              otherwise: start `mmos mcp` over stdio on this database ($MMOS_DATABASE_URL)',
    '  --mcp-command CMD      the stdio server command (default: this mmos, `mmos mcp`)',
    '  --id ID --name NAME    worker id and display name ($WORKER_ID, $WORKER_NAME); over --hub the token names the worker',
    '  --type T --model M     model family and exact model ($WORKER_TYPE, $WORKER_MODEL)',
    '  --capabilities a,b     what it can do ($CAPABILITIES, default general)',
    '  --capacity N           tasks run at once, 1-64 (default 1)',
    '  --tier N               quality tier: 1 basic, 2 standard, 3 premium (default 2)',
    '  --input-price P --output-price P   USD per million tokens, for cost when the CLI reports none',
    '  --workspace DIR        task folders go in DIR/<task key> (default .mmos/work/<worker id>)',
    '  --lease-seconds N      task lease, renewed every N/3 s by a progress report (default 300)',
    '  --timeout-seconds N    a task running longer is killed and failed (default 1800)',
    '  --grace-seconds N      on Ctrl+C/SIGTERM, time running tasks get to finish (default 10)',
    '  --heartbeat-seconds N  heartbeat interval (default 30)',
    '',
    'Ctrl+C or SIGTERM: stop claiming, let running tasks finish within the grace period, kill and',
    'release the rest (back to ready, attempt not counted), unregister (offline), exit 0. A second',
    'Ctrl+C skips the grace period. A worker drained by the admin exits once its tasks are done.',
  ].join('\n'),
  options: {
    agent: { type: 'string' },
    preset: { type: 'string' },
    hub: { type: 'string' },
    token: { type: 'string' },
    url: { type: 'string' },
    'mcp-command': { type: 'string' },
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    model: { type: 'string' },
    capabilities: { type: 'string' },
    capacity: { type: 'string' },
    tier: { type: 'string' },
    'input-price': { type: 'string' },
    'output-price': { type: 'string' },
    workspace: { type: 'string' },
    'lease-seconds': { type: 'string' },
    'timeout-seconds': { type: 'string' },
    'grace-seconds': { type: 'string' },
    'heartbeat-seconds': { type: 'string' },
  },
  async run(ctx) {
    const { workerConfigFromFlags, WorkerConfigError } = await import('../../worker/config.js');
    const { startWorker } = await import('../../worker/run.js');
    let config;
    try {
      config = workerConfigFromFlags(ctx.values, ctx.env);
    } catch (err) {
      if (err instanceof WorkerConfigError) throw new UsageError(err.message, 'worker');
      throw err;
    }
    const where = config.connection.kind === 'http' ? `hub ${config.connection.url}` : `stdio server (${config.connection.command} ${config.connection.args.join(' ')})`;
    ctx.log(`worker: connecting to the ${where}; tasks run in ${config.workspaceRoot}`);
    let worker;
    try {
      worker = await startWorker(config, { log: (l) => ctx.log(`worker: ${l}`), agentEnv: ctx.env });
    } catch (err) {
      throw new CliError(`could not start the worker: ${(err as Error).message}`);
    }

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      ctx.log(`worker: ${signal}${signals > 1 ? ' again: stopping running tasks now' : ': stopping (Ctrl+C again skips the grace period)'}`);
      void worker.stop({ now: signals > 1 });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await worker.finished();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const s = worker.stats;
    ctx.log(`worker: stopped (${s.completed} done, ${s.failed} failed, ${s.released} released)`);
    return 0;
  },
};

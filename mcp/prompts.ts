import type { GetPromptResult, Prompt } from '@modelcontextprotocol/sdk/types.js';
import { MmosError } from '../db/types.js';

/**
 * The admin's commands of the original notes (/discover-workers, /create-project, /assign-task,
 * /project-status, /system-health) as MCP prompts: each tells the admin agent which tools to call
 * and how to present what they return. Listed for the admin role only. The prompts name tools;
 * they run nothing themselves, so the server stays generic.
 */
interface PromptSpec {
  prompt: Prompt;
  render(args: Record<string, string>): string;
}

const IDENTITY_NOTE = 'Never pass tenantId or callerId: the server fills your identity.';

const SPECS: PromptSpec[] = [
  {
    prompt: {
      name: 'discover-workers',
      title: 'Discover workers',
      description: 'List the registered workers with their status, capabilities, load, tier and prices.',
    },
    render: () => `Find the workers available to MMOS.

1. Call the tool \`list_workers\`.
2. Present one table, online workers first: worker id, name, model, status (online / draining / offline), capabilities, running tasks / capacity, quality tier, input and output price per million tokens, last heartbeat.
3. Under the table, say in one or two lines which capabilities are covered, which are missing, and which workers are silent or draining.
${IDENTITY_NOTE}`,
  },
  {
    prompt: {
      name: 'create-project',
      title: 'Create project',
      description: 'Turn a request into a project of tasks with dependencies, routed by capability and cost.',
      arguments: [{ name: 'request', description: 'What the user wants built, in their words.', required: true }],
    },
    render: (a) => `Turn this request into an MMOS project:

"""
${a['request']}
"""

1. Call \`list_workers\` to see which capabilities, quality tiers and prices are available.
2. Call \`create_project\` with a short project name and the request as its description.
3. Break the work into tasks a single agent can finish in one session. For each task give a stable key, a title, a description with what "done" means, a task type, the capabilities it needs, a complexity, a priority, and the keys of the tasks it depends on. Route by cost: research, planning and docs to cheap workers, implementation to capable ones, premium tiers only where they pay; put review last.
4. Call \`add_tasks\` once with the whole plan and an idempotency key, so a retry does not add the tasks twice. If it refuses the plan (error 50400: unknown key, cycle, oversized text), fix what the message names and call it again.
5. Present the project id and name, then the tasks as a tree by phase with their dependencies, and which tasks are ready now. Do not claim or run tasks yourself: the workers claim them.
${IDENTITY_NOTE}`,
  },
  {
    prompt: {
      name: 'assign-task',
      title: 'Assign task',
      description: 'Assign a task to a specific worker.',
      arguments: [
        { name: 'taskId', description: 'The task to assign.', required: true },
        { name: 'workerId', description: 'The worker that should run it.', required: true },
      ],
    },
    render: (a) => `Assign task ${a['taskId']} to worker ${a['workerId']}.

1. Call \`assign_task\` with taskId ${a['taskId']} and workerId "${a['workerId']}".
2. If it refuses (unknown task or worker, the task is not waiting, the worker is draining or offline, or lacks a capability the task needs), say why in one line and suggest a worker that fits, using \`list_workers\`.
3. On success, show the task id, title, status and assigned worker in one line.
${IDENTITY_NOTE}`,
  },
  {
    prompt: {
      name: 'project-status',
      title: 'Project status',
      description: "Show a project's progress: tasks by state, who is running what, cost so far, blockers.",
      arguments: [{ name: 'projectId', description: 'The project to report on.', required: true }],
    },
    render: (a) => `Report the status of project ${a['projectId']}.

1. Call \`get_project_status\` with projectId ${a['projectId']}.
2. Present: a progress line (done / total and percent), counts by state (ready, running, review, retry_wait, blocked, dead, done), the running tasks with their worker and last progress note, the blocked and dead tasks with their reason, and tokens and cost so far.
3. End with what needs the admin: dead tasks to redrive (\`redrive_task\`), tasks waiting for review, or work blocked behind a failed dependency.
${IDENTITY_NOTE}`,
  },
  {
    prompt: {
      name: 'system-health',
      title: 'System health',
      description: 'Overall health: workers, queue, leases, dead letters.',
    },
    render: () => `Check the overall health of MMOS.

1. Call \`get_system_health\`.
2. If the sql toolset is available, call \`query_view\` with view "vw_DeadLetters" and view "vw_WorkerLoad" for detail.
3. Present a short status line (healthy / degraded / stalled) and why, then: workers online, draining and offline; tasks ready, running, waiting for retry and dead; expired leases; the oldest ready task. List each problem with the tool that addresses it (\`redrive_task\` for dead tasks, \`drain_worker\` for a misbehaving worker).
${IDENTITY_NOTE}`,
  },
];

export class PromptCatalog {
  list(): Prompt[] {
    return SPECS.map((s) => s.prompt);
  }

  /** Renders a prompt; a missing required argument or unknown name is a 50400 refusal naming it. */
  get(name: string, args: Record<string, string> = {}): GetPromptResult {
    const spec = SPECS.find((s) => s.prompt.name === name);
    if (!spec) throw new MmosError(50400, `unknown prompt: ${JSON.stringify(name.slice(0, 100))}`);
    for (const a of spec.prompt.arguments ?? []) {
      const v = args[a.name];
      if (a.required && (v === undefined || v.trim() === '')) throw new MmosError(50400, `prompt ${name} needs the argument ${a.name}`);
      if (v !== undefined && v.length > 20_000) throw new MmosError(50400, `prompt argument ${a.name} is longer than 20000 characters`);
    }
    return {
      description: spec.prompt.description,
      messages: [{ role: 'user', content: { type: 'text', text: spec.render(args) } }],
    };
  }

  /** Tool names the prompts refer to, so a test can check that each one exists for the admin. */
  referencedTools(): string[] {
    const names = new Set<string>();
    for (const s of SPECS) {
      const sample = s.render(Object.fromEntries((s.prompt.arguments ?? []).map((a) => [a.name, '1'])));
      for (const m of sample.matchAll(/`([a-z_]+)`/g)) names.add(m[1]!);
    }
    return [...names].sort();
  }
}

import { z } from 'zod';

/**
 * Shapes of JSON parameters (NVARCHAR(MAX) / jsonb), keyed "Procedure.Parameter". The database
 * sees only a JSON document; these give tool callers a real schema and a clear refusal. The
 * procedures validate the same documents themselves, for callers that bypass TypeScript.
 */
const capabilityList = z.array(z.string().min(1).max(50)).max(50);

/**
 * AddTasks.Tasks: one plan. Mirrors the per-task rules of mmos.AddTasks plus duplicate keys and
 * self-dependencies; cycles and keys already in the project are the procedure's to find (it sees
 * the project), as are the same rules again for callers that bypass TypeScript.
 */
const taskKey = z.string().min(1).max(100)
  .refine((k) => !k.startsWith(' ') && !k.endsWith(' '), 'a key must not begin or end with a space');
const planTask = z.object({
  key: taskKey.describe('Unique key of the task in the project, used by dependsOn (case-insensitive).'),
  title: z.string().min(1).max(200),
  description: z.string().max(20000).nullable().optional(),
  type: z.enum(['general', 'research', 'planning', 'coding', 'review', 'testing', 'docs', 'admin']).nullable().optional()
    .describe('Kind of work; default general.'),
  phase: z.string().max(100).nullable().optional(),
  priority: z.number().int().min(-2147483648).max(2147483647).nullable().optional().describe('Higher runs first; default 0.'),
  capabilities: z.array(z.string().min(1).max(50)).nullable().optional().describe('Capabilities a worker must have to take the task.'),
  dependsOn: z.array(taskKey).nullable().optional().describe('Keys of tasks (in this plan or already in the project) that must be done first.'),
  notBefore: z.iso.datetime({ offset: true }).nullable().optional().describe('Not claimable before this time, e.g. 2026-01-31T09:00:00Z.'),
  maxAttempts: z.number().int().min(1).max(100).nullable().optional().describe('Attempts before the task is dead-lettered; default 3.'),
  complexity: z.enum(['low', 'medium', 'high']).nullable().optional()
    .describe('Needed quality tier: low 1, medium 2, high 3; estimated from type and description when absent.'),
  requiresReview: z.boolean().nullable().optional().describe('When true a reviewer must approve the result; default false.'),
  preferredWorker: z.string().min(1).max(100).nullable().optional()
    .describe('Worker id that automatic assignment gives the task to whenever that worker is eligible.'),
}).strict();
/** One task of an AddTasks plan, as a TypeScript caller writes it. */
export type PlanTaskInput = z.input<typeof planTask>;
const plan = z.array(planTask).min(1).max(500).superRefine((tasks, ctx) => {
  const seen = new Map<string, number>();
  tasks.forEach((t, i) => {
    const k = t.key.toLowerCase();
    const first = seen.get(k);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `key "${t.key}" is already used by task ${first + 1}` });
    else seen.set(k, i);
    if (t.dependsOn?.some((d) => d.toLowerCase() === k)) ctx.addIssue({ code: 'custom', path: [i, 'dependsOn'], message: `task "${t.key}" depends on itself` });
  });
});

export const jsonShapes: Record<string, z.ZodType> = {
  'AddTasks.Tasks': plan.describe('The plan: 1 to 500 task objects.'),
  'RegisterWorker.Capabilities': capabilityList.describe('Capability names, e.g. ["general","coding"].'),
};

import { expect } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Row } from '../../db/types.js';
import { rowsOf, textOf } from './mcp.js';
import { unique } from './identity.js';

export interface FlowClients {
  /** Runs fn with an admin client (a stdio test may start a fresh server process for it). */
  withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T>;
  withWorker<T>(fn: (c: Client) => Promise<T>): Promise<T>;
  /** The worker's authenticated id (token or WORKER_ID). */
  workerId: string;
  /** Whether the worker registers itself (HTTP) or its server did at start (stdio). */
  registersItself?: boolean;
  /** Rows of the task's events, with event_type/actor/to_status or EventType/Actor/ToStatus. */
  events(taskId: number): Promise<Row[]>;
}

/**
 * The task flow through MCP tools only: the admin creates a project of two tasks (build depends
 * on design), the worker claims and completes design (a completion naming another caller is
 * refused and changes nothing), build becomes ready, and the admin sees the progress. The task's
 * events name the authenticated worker.
 */
export async function runTaskFlow(f: FlowClients): Promise<void> {
  const { projectId, designId } = await f.withAdmin(async (admin) => {
    const project = rowsOf(await admin.callTool({ name: 'create_project', arguments: { projectName: unique('API'), description: 'Build a REST API' } }));
    const projectId = Number(project[0]!['projectId']);
    const tasks = rowsOf(await admin.callTool({
      name: 'add_tasks',
      arguments: {
        projectId,
        tasks: [
          { key: 'design', title: 'Design the API', capabilities: ['coding'] },
          { key: 'build', title: 'Build it', dependsOn: ['design'] },
        ],
        idempotencyKey: unique('plan'),
      },
    }));
    const design = tasks.find((r) => r['taskKey'] === 'design')!;
    const build = tasks.find((r) => r['taskKey'] === 'build')!;
    expect(design['status']).toBe('ready');
    expect(build['status']).toBe('blocked');
    return { projectId, designId: Number(design['taskId']) };
  });

  await f.withWorker(async (worker) => {
    if (f.registersItself)
      rowsOf(await worker.callTool({ name: 'register_worker', arguments: { instanceName: 'Claude-Worker', modelType: 'Claude', capabilities: ['coding', 'general'] } }));
    const claimed = rowsOf(await worker.callTool({ name: 'claim_next_task', arguments: {} }));
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ taskId: designId, projectId, taskKey: 'design' });
    const leaseToken = String(claimed[0]!['leaseToken']);

    // Identity in the arguments is refused and the task stays running.
    for (const key of ['callerId', 'tenantId', 'workerId']) {
      const refused = await worker.callTool({ name: 'complete_task', arguments: { taskId: designId, leaseToken, result: 'x', [key]: 'someone-else' } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain(`unknown argument(s) ${key}`);
    }
    // A bad argument is refused with a clear error and changes nothing.
    const bad = await worker.callTool({ name: 'complete_task', arguments: { taskId: designId, leaseToken: 'not-a-uuid', result: 'x' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/^error 50400 \(invalid_argument\): .*leaseToken/);
    const wrongLease = await worker.callTool({ name: 'complete_task', arguments: { taskId: designId, leaseToken: '00000000-0000-4000-8000-000000000000', result: 'x' } });
    expect(wrongLease.isError).toBe(true);
    expect(textOf(wrongLease)).toMatch(/^error 50412 \(lease_mismatch\): /);

    const done = rowsOf(await worker.callTool({ name: 'complete_task', arguments: { taskId: designId, leaseToken, result: 'API designed', tokensIn: 100, tokensOut: 50 } }));
    expect(done[0]).toMatchObject({ taskId: designId, status: 'done', unblockedCount: 1 });
  });

  const events = (await f.events(designId)).map((e) => ({
    type: String(e['event_type'] ?? e['EventType']),
    actor: String(e['actor'] ?? e['Actor']),
    to: e['to_status'] ?? e['ToStatus'],
  }));
  const byWorker = events.filter((e) => e.to === 'running' || e.to === 'done');
  expect(byWorker.map((e) => e.to)).toEqual(['running', 'done']);
  for (const e of byWorker) expect(e.actor).toBe(f.workerId);
  expect(events.map((e) => e.actor)).not.toContain('someone-else');

  await f.withAdmin(async (admin) => {
    const status = rowsOf(await admin.callTool({ name: 'get_project_status', arguments: { projectId } }));
    expect(status.length).toBeGreaterThan(0);
    const text = JSON.stringify(status);
    expect(text).toContain(String(projectId));
    expect(text).toMatch(/done/i);
  });
}

import { expect, it } from 'vitest';
import type { Engine } from '../../db/types.js';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { admin, as, unique } from '../support/identity.js';
import { instanceIdOf, scalar, sql } from '../support/seed.js';
import { createProjectWithPlan, newProject } from '../support/fixtures.js';
import { claimNextTask, completeTask, heartbeat, readMessages, registerWorker, sendMessage, sendMessageSignature, unregisterWorker } from '../../generated/index.js';

const targets = await engineTargets();

function messageCount(db: Engine, tenantId: string): Promise<number> {
  return scalar(db, 'SELECT count(*) FROM mmos.inter_worker_messages WHERE tenant_id = $1',
    'SELECT COUNT(*) FROM mmos.InterWorkerMessages WHERE TenantId = @p1', [tenantId]);
}

function readCount(db: Engine, tenantId: string): Promise<number> {
  return scalar(db, 'SELECT count(*) FROM mmos.message_reads WHERE tenant_id = $1',
    'SELECT COUNT(*) FROM mmos.MessageReads WHERE TenantId = @p1', [tenantId]);
}

describeEachEngine('messages: send and read', targets, (db) => {
  /** A fresh tenant per test, so counts are exact and no other test's messages show up. */
  async function tenantWith(...workers: string[]): Promise<string> {
    const tenant = unique('t-msg');
    for (const w of workers) await registerWorker(db(), as(w, tenant), { instanceName: w, modelType: 'Claude' });
    return tenant;
  }

  it('a direct message reaches its worker once, oldest first, with sender, type and time', async () => {
    const t = await tenantWith('alice', 'bob', 'carol');
    const sent = await sendMessage(db(), as('alice', t), { toWorkerId: 'bob', content: 'hello bob' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.messageId).toBeGreaterThan(0);
    await sendMessage(db(), as('AdminClaude', t), { toWorkerId: 'bob', content: 'from the admin', messageType: 'Warning' });

    const read = await readMessages(db(), as('bob', t), {});
    expect(read).toEqual([
      { messageId: sent[0]!.messageId, fromId: 'alice', projectId: null, messageType: 'info', content: 'hello bob', createdAt: sent[0]!.createdAt, isBroadcast: false },
      expect.objectContaining({ fromId: 'AdminClaude', messageType: 'warning', content: 'from the admin', isBroadcast: false }),
    ]);
    expect(await readMessages(db(), as('bob', t), {})).toEqual([]);
    // nobody else got it
    expect(await readMessages(db(), as('carol', t), {})).toEqual([]);
    expect(await readMessages(db(), as('alice', t), {})).toEqual([]);
    expect(await readCount(db(), t)).toBe(2);
  });

  it('MaxMessages pages through the oldest first; each message is returned once', async () => {
    const t = await tenantWith('sender', 'reader');
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await sendMessage(db(), as('sender', t), { toWorkerId: 'reader', content: `m${i}` }))[0]!.messageId!);
    const first = await readMessages(db(), as('reader', t), { maxMessages: 2 });
    expect(first.map((m) => m.content)).toEqual(['m1', 'm2']);
    expect((await heartbeat(db(), as('reader', t), {}))[0]!.unreadMessages).toBe(3);
    const rest = await readMessages(db(), as('reader', t), { maxMessages: 500 });
    expect(rest.map((m) => m.messageId)).toEqual(ids.slice(2));
    expect(await readMessages(db(), as('reader', t), { maxMessages: 1 })).toEqual([]);
  });

  it('two racing reads by one worker share the messages out: none twice, none lost', async () => {
    const t = await tenantWith('sender', 'racer');
    for (let i = 0; i < 20; i++) await sendMessage(db(), as('sender', t), { toWorkerId: 'racer', content: `m${i}` });
    const [a, b] = await Promise.all([
      readMessages(db(), as('racer', t), { maxMessages: 15 }),
      readMessages(db(), as('racer', t), { maxMessages: 15 }),
    ]);
    const ids = [...a!, ...b!].map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const more = await readMessages(db(), as('racer', t), { maxMessages: 500 });
    expect(ids.length + more.length).toBe(20);
    expect(await readCount(db(), t)).toBe(20);
  });

  it('a project broadcast reaches every worker that has or had a task in the project, once, not its sender', async () => {
    const t = await tenantWith('running', 'released', 'finished', 'assigned', 'outsider');
    await registerWorker(db(), as('elsewhere', t), { instanceName: 'elsewhere', modelType: 'Claude', capabilities: ['elsewhere-only'] });
    const boss = as('AdminClaude', t);
    const { projectId: project, taskIds } = await createProjectWithPlan(db(), boss, [
      { key: 'r', title: 'R', priority: 3 }, { key: 'x', title: 'X', priority: 2 }, { key: 'a', title: 'A', priority: 1 },
    ]);
    await createProjectWithPlan(db(), boss, [{ key: 'e', title: 'E', priority: 10, capabilities: ['elsewhere-only'] }]);
    expect((await claimNextTask(db(), as('running', t), {}))[0]!.taskKey).toBe('r');
    expect((await claimNextTask(db(), as('released', t), {}))[0]!.taskKey).toBe('x');
    // 'released' gives its task back: it no longer holds one, but it had one (its events say so)
    expect((await unregisterWorker(db(), as('released', t), {}))[0]!.releasedTasks).toBe(1);
    const [x] = await claimNextTask(db(), as('finished', t), {});
    expect(x!.taskKey).toBe('x');
    await completeTask(db(), as('finished', t), { taskId: x!.taskId!, leaseToken: x!.leaseToken!, result: 'done' });
    expect((await claimNextTask(db(), as('elsewhere', t), {}))[0]!.taskKey).toBe('e');
    // reserved for a worker that has not claimed it yet (set directly: assignment is another procedure's job)
    await sql(db(), 'UPDATE mmos.task_queue SET assigned_instance_id = $1 WHERE task_id = $2',
      'UPDATE mmos.TaskQueue SET AssignedInstanceId = @p1 WHERE TaskId = @p2', [await instanceIdOf(db(), t, 'assigned'), taskIds['a']]);

    const [sent] = await sendMessage(db(), as('running', t), { projectId: project, messageType: 'handoff', content: 'API schema is in docs/api.md' });
    const expected = { messageId: sent!.messageId, fromId: 'running', projectId: project, messageType: 'handoff', content: 'API schema is in docs/api.md', isBroadcast: true };
    for (const w of ['released', 'finished', 'assigned']) {
      expect(await readMessages(db(), as(w, t), {}), w).toEqual([expect.objectContaining(expected)]);
      expect(await readMessages(db(), as(w, t), {}), `${w} again`).toEqual([]);
    }
    for (const w of ['running', 'outsider', 'elsewhere']) expect(await readMessages(db(), as(w, t), {}), w).toEqual([]);

    // the admin may broadcast too; the sender of the first broadcast receives this one
    await sendMessage(db(), boss, { projectId: project, content: 'phase 2 starts' });
    expect((await readMessages(db(), as('running', t), {})).map((m) => m.content)).toEqual(['phase 2 starts']);
  });

  it('a direct message tagged with a project goes to its worker only', async () => {
    const t = await tenantWith('asker', 'expert', 'bystander');
    const { projectId: project } = await createProjectWithPlan(db(), as('AdminClaude', t), [{ key: 'b', title: 'B' }]);
    expect(await claimNextTask(db(), as('bystander', t), {})).toHaveLength(1);
    await sendMessage(db(), as('asker', t), { toWorkerId: 'expert', projectId: project, messageType: 'question', content: 'which port?' });
    expect(await readMessages(db(), as('expert', t), {})).toEqual([expect.objectContaining({ projectId: project, messageType: 'question', isBroadcast: false })]);
    expect(await readMessages(db(), as('bystander', t), {})).toEqual([]);
  });

  it('a tenant-wide broadcast (no worker, no project) reaches every worker of that tenant only', async () => {
    const t = await tenantWith('one', 'two');
    const otherTenant = await tenantWith('stranger');
    // SendMessage always names a worker or a project; tenant-wide notices are written by the system itself.
    await sql(db(),
      "INSERT INTO mmos.inter_worker_messages (tenant_id, from_id, message_type, content) VALUES ($1, 'system', 'warning', 'maintenance at noon')",
      "INSERT INTO mmos.InterWorkerMessages (TenantId, FromId, MessageType, Content) VALUES (@p1, N'system', N'warning', N'maintenance at noon')",
      [t]);
    for (const w of ['one', 'two'])
      expect(await readMessages(db(), as(w, t), {})).toEqual([expect.objectContaining({ fromId: 'system', projectId: null, content: 'maintenance at noon', isBroadcast: true })]);
    expect(await readMessages(db(), as('stranger', otherTenant), {})).toEqual([]);
  });

  it('refuses bad messages with the numbered error naming the problem, and stores nothing', async () => {
    const t = await tenantWith('w1');
    const project = await newProject(db(), as('AdminClaude', t));
    const foreignProject = await newProject(db(), as('AdminClaude', unique('t-foreign')));
    const foreignWorker = unique('foreign');
    await registerWorker(db(), as(foreignWorker), { instanceName: 'f', modelType: 'Claude' });
    const w1 = as('w1', t);
    const cases: [Parameters<typeof sendMessage>[2], number, string][] = [
      [{ toWorkerId: 'w1', content: '' }, 50400, 'content is empty'],
      [{ toWorkerId: 'w1', content: 'x'.repeat(20001) }, 50400, 'content is longer than 20000 characters (20001 given)'],
      [{ toWorkerId: 'w1', content: 'hi', messageType: 'gossip' }, 50400, "unknown message type 'gossip': use info, question, answer, handoff or warning"],
      [{ content: 'to nobody' }, 50400, 'give a worker to message (ToWorkerId) or a project to broadcast to (ProjectId)'],
      [{ toWorkerId: 'nobody', content: 'hi' }, 50404, 'worker nobody not found'],
      [{ toWorkerId: foreignWorker, content: 'hi' }, 50404, `worker ${foreignWorker} not found`],
      [{ projectId: 987654321, content: 'hi' }, 50404, 'project 987654321 not found'],
      [{ projectId: foreignProject, content: 'hi' }, 50404, `project ${foreignProject} not found`],
      [{ toWorkerId: 'w1', projectId: 987654321, content: 'hi' }, 50404, 'project 987654321 not found'],
    ];
    for (const [input, number, message] of cases)
      await expect(sendMessage(db(), w1, input), JSON.stringify(input).slice(0, 80)).rejects.toMatchObject({ number, message: expect.stringContaining(message) });
    // the procedure's own checks, for callers that bypass the TypeScript schema
    await expect(db().call(sendMessageSignature, { tenantId: t, callerId: 'w1', toWorkerId: 'w1', content: 'hi', messageType: null }))
      .rejects.toMatchObject({ number: 50400, message: expect.stringContaining('unknown message type') });
    await expect(db().call(sendMessageSignature, { tenantId: t, callerId: 'w1', toWorkerId: 'w1', content: null }))
      .rejects.toMatchObject({ number: 50400, message: 'content is empty' });
    expect(await messageCount(db(), t)).toBe(0);
    // the limits themselves are accepted
    await sendMessage(db(), w1, { projectId: project, content: 'x'.repeat(20000), messageType: 'answer' });
    expect(await messageCount(db(), t)).toBe(1);
  });

  it('reading refuses an unregistered caller (50404) and a MaxMessages out of range (50400), marking nothing', async () => {
    const t = await tenantWith('reader');
    await sendMessage(db(), as('AdminClaude', t), { toWorkerId: 'reader', content: 'keep me unread' });
    await expect(readMessages(db(), as('AdminClaude', t), {})).rejects.toMatchObject({ number: 50404, message: 'worker AdminClaude not found' });
    await expect(readMessages(db(), as('reader', t), { maxMessages: 0 })).rejects.toMatchObject({ number: 50400, message: 'max messages must be between 1 and 500' });
    await expect(readMessages(db(), as('reader', t), { maxMessages: 501 })).rejects.toMatchObject({ number: 50400 });
    expect(await readCount(db(), t)).toBe(0);
    expect((await readMessages(db(), as('reader', t), {})).map((m) => m.content)).toEqual(['keep me unread']);
  });

  it('the database enforces the roles: workers and the admin send, only workers read, the reader does neither', async () => {
    const t = await tenantWith('w');
    const denied = /permission denied|EXECUTE permission was denied/i;
    await sendMessage(db(), as('AdminClaude', t), { toWorkerId: 'w', content: 'from admin' }, { role: 'admin' });
    await sendMessage(db(), as('w', t), { toWorkerId: 'w', content: 'note to self' }, { role: 'worker' });
    await expect(sendMessage(db(), as('w', t), { toWorkerId: 'w', content: 'x' }, { role: 'reader' })).rejects.toThrow(denied);
    await expect(readMessages(db(), as('w', t), {}, { role: 'admin' })).rejects.toThrow(denied);
    await expect(readMessages(db(), as('w', t), {}, { role: 'reader' })).rejects.toThrow(denied);
    expect(await readCount(db(), t)).toBe(0);
    expect((await readMessages(db(), as('w', t), {}, { role: 'worker' })).map((m) => m.content)).toEqual(['from admin', 'note to self']);
  });

  it('sending as the admin stays possible when the admin is no worker; the sender is always the caller', async () => {
    const t = await tenantWith('target');
    await expect(sendMessage(db(), admin, { toWorkerId: 'target', content: 'x', fromId: 'target' } as never)).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('fromId') });
    await sendMessage(db(), as('AdminClaude', t), { toWorkerId: 'target', content: 'x' });
    expect((await readMessages(db(), as('target', t), {}))[0]!.fromId).toBe('AdminClaude');
  });
});

import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { as, unique } from '../support/identity.js';
import { registerWorker } from '../../generated/index.js';

const targets = await engineTargets();

describeEachEngine('workers: register', targets, (db) => {
  it('registers a worker and is idempotent by worker id', async () => {
    const id = unique('w');
    const first = await registerWorker(db(), as(id), {
      instanceName: 'Claude-Worker-1', modelType: 'Claude', capabilities: ['coding', 'General'], workerCapacity: 2,
      qualityTier: 3, inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15,
    });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ workerId: id, status: 'online', workerCapacity: 2, qualityTier: 3, capabilities: ['coding', 'general'], inputUsdPerMillionTokens: 3 });
    const again = await registerWorker(db(), as(id), { instanceName: 'Claude-Worker-1b', modelType: 'Claude', capabilities: ['research'] });
    expect(again[0]!.instanceId).toBe(first[0]!.instanceId);
    expect(again[0]).toMatchObject({ instanceName: 'Claude-Worker-1b', capabilities: ['research'], workerCapacity: 1 });
  });

  it('refuses bad input with error 50400 naming the problem, and writes nothing', async () => {
    const id = unique('w');
    await expect(registerWorker(db(), as(id), { instanceName: '', modelType: 'Claude' })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('instance name is empty') });
    await expect(registerWorker(db(), as(id), { instanceName: 'x', modelType: 'Claude', workerCapacity: 0 })).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('capacity') });
    await expect(registerWorker(db(), as(id), { instanceName: 'x'.repeat(201), modelType: 'Claude' })).rejects.toMatchObject({ number: 50400 });
    await expect(registerWorker(db(), as(id), { instanceName: 'x', modelType: 'Claude', capabilities: [''] })).rejects.toMatchObject({ number: 50400 });
    // identity cannot be passed as an argument
    await expect(registerWorker(db(), as(id), { instanceName: 'x', modelType: 'Claude', callerId: 'other' } as never)).rejects.toMatchObject({ number: 50400, message: expect.stringContaining('callerId') });
    const rows = await db().query(db().kind === 'mssql' ? 'SELECT COUNT(*) AS n FROM mmos.ModelInstances WHERE WorkerId = @p1' : 'SELECT count(*)::int AS n FROM mmos.model_instances WHERE worker_id = $1', [id]);
    expect(Number(rows[0]!['n'])).toBe(0);
  });
});

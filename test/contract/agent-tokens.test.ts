import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { as, unique } from '../support/identity.js';
import type { Engine } from '../../db/types.js';
import { createAgentToken, listAgentTokens, resolveAgentToken, revokeAgentToken } from '../../generated/index.js';

const targets = await engineTargets();
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const newHash = () => hashOf(`mmos_${randomBytes(32).toString('base64url')}`);
/** ResolveAgentToken takes no tenant: the token is what names it. The identity passed is ignored by the procedure. */
const nobody = as('hub', '');

async function tokenRows(engine: Engine, agentId: string): Promise<number> {
  const rows = await engine.query(
    engine.kind === 'mssql'
      ? 'SELECT COUNT(*) AS n FROM mmos.AgentTokens WHERE AgentId = @p1'
      : 'SELECT count(*)::int AS n FROM mmos.agent_tokens WHERE agent_id = $1',
    [agentId],
  );
  return Number(rows[0]!['n']);
}

describeEachEngine('agent tokens', targets, (db) => {
  it('creates, resolves, lists without hashes, and revokes', async () => {
    const tenant = unique('t');
    const agent = unique('worker');
    const hash = newHash();
    const created = await createAgentToken(db(), as('cli', tenant), { agentId: agent, role: 'worker', tokenHash: hash, label: 'laptop' });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ agentId: agent, role: 'worker', label: 'laptop', createdBy: 'cli' });

    expect(await resolveAgentToken(db(), nobody, { tokenHash: hash })).toEqual([{ tenantId: tenant, agentId: agent, role: 'worker' }]);
    expect(await resolveAgentToken(db(), nobody, { tokenHash: newHash() })).toEqual([]);

    const second = await createAgentToken(db(), as('cli', tenant), { agentId: agent, role: 'worker', tokenHash: newHash() });
    const listed = await listAgentTokens(db(), as('cli', tenant), { agentId: agent });
    expect(listed.map((r) => r.tokenId)).toEqual([created[0]!.tokenId, second[0]!.tokenId]);
    for (const row of listed) expect(JSON.stringify(row)).not.toContain(hash);
    // another tenant sees none of them
    expect(await listAgentTokens(db(), as('cli', unique('t')), { agentId: agent })).toEqual([]);

    const revoked = await revokeAgentToken(db(), as('cli', tenant), { agentId: agent, tokenId: created[0]!.tokenId });
    expect(revoked.map((r) => r.tokenId)).toEqual([created[0]!.tokenId]);
    expect(revoked[0]!.revokedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await resolveAgentToken(db(), nobody, { tokenHash: hash })).toEqual([]);
    expect((await listAgentTokens(db(), as('cli', tenant), { agentId: agent })).map((r) => r.tokenId)).toEqual([second[0]!.tokenId]);
    const all = await listAgentTokens(db(), as('cli', tenant), { agentId: agent, includeRevoked: true });
    expect(all.find((r) => r.tokenId === created[0]!.tokenId)).toMatchObject({ revokedBy: 'cli' });

    // revoking all: the remaining one; then there is none left to revoke
    expect((await revokeAgentToken(db(), as('cli', tenant), { agentId: agent })).map((r) => r.tokenId)).toEqual([second[0]!.tokenId]);
    await expect(revokeAgentToken(db(), as('cli', tenant), { agentId: agent })).rejects.toMatchObject({ number: 50404, message: expect.stringContaining(`agent ${agent} has no active token`) });
  });

  it('refuses bad input with a numbered error naming the problem, and writes nothing', async () => {
    const tenant = unique('t');
    const agent = unique('a');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ agentId: '', role: 'worker', tokenHash: newHash() }, 50400, 'agent id is empty'],
      [{ agentId: agent, role: 'root', tokenHash: newHash() }, 50400, 'role must be admin, worker or reader'],
      [{ agentId: agent, role: 'worker', tokenHash: newHash().toUpperCase() }, 50400, 'token hash must be 64 lower-case hexadecimal digits'],
      [{ agentId: agent, role: 'worker', tokenHash: 'abc' }, 50400, 'token hash must be 64 lower-case hexadecimal digits'],
      [{ agentId: agent, role: 'worker', tokenHash: newHash(), label: 'x'.repeat(201) }, 50400, 'label'],
    ];
    for (const [input, number, message] of cases) {
      await expect(createAgentToken(db(), as('cli', tenant), input as never)).rejects.toMatchObject({ number, message: expect.stringContaining(message) });
    }
    expect(await tokenRows(db(), agent)).toBe(0);

    const hash = newHash();
    await createAgentToken(db(), as('cli', tenant), { agentId: agent, role: 'admin', tokenHash: hash });
    await expect(createAgentToken(db(), as('cli', tenant), { agentId: unique('b'), role: 'admin', tokenHash: hash }))
      .rejects.toMatchObject({ number: 50409, message: expect.stringContaining('already exists') });
    await expect(revokeAgentToken(db(), as('cli', tenant), { agentId: agent, tokenId: 999_999_999 }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining(`token 999999999 of agent ${agent} not found`) });
    // a token of another tenant cannot be revoked from here
    await expect(revokeAgentToken(db(), as('cli', unique('t')), { agentId: agent })).rejects.toMatchObject({ number: 50404 });
    expect(await tokenRows(db(), agent)).toBe(1);
    expect(await resolveAgentToken(db(), nobody, { tokenHash: hash })).toEqual([{ tenantId: tenant, agentId: agent, role: 'admin' }]);
  });
});

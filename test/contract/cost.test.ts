import { expect, it } from 'vitest';
import { describeEachEngine, engineTargets } from '../support/engines.js';
import { addPlan, createProjectWithPlan, tableCounts } from '../support/fixtures.js';
import { claimAndComplete, team, usageOf } from '../support/team.js';
import { claimNextTask, createProject, failTask, getCostReport } from '../../generated/index.js';

const targets = await engineTargets();

/** Usage and cost: what CompleteTask records, and GetCostReport's figures for a known setup. */
describeEachEngine('cost', targets, (db) => {
  it('records the reported cost, else computes it from the worker\'s prices when only tokens are given, else none', async () => {
    const t = team(db());
    const w = await t.worker({ inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
    await createProjectWithPlan(db(), t.admin, [
      { key: 'a', title: 'tokens only' }, { key: 'b', title: 'cost reported' }, { key: 'c', title: 'nothing reported' },
      { key: 'open', title: 'keeps the project open', notBefore: '2099-01-01T00:00:00Z' },
    ]);
    const a = await claimAndComplete(db(), w, { tokensIn: 1234, tokensOut: 567 });
    const b = await claimAndComplete(db(), w, { tokensIn: 1000, tokensOut: 1000, costUsd: 0.5 });
    const c = await claimAndComplete(db(), w);
    // 1234 x $3 + 567 x $15 per million = 0.003702 + 0.008505
    expect(await usageOf(db(), a)).toEqual([{ tokens_in: 1234, tokens_out: 567, cost_usd: 0.012207, cost_source: 'computed' }]);
    expect(await usageOf(db(), b)).toEqual([{ tokens_in: 1000, tokens_out: 1000, cost_usd: 0.5, cost_source: 'reported' }]);
    expect(await usageOf(db(), c)).toEqual([{ tokens_in: 0, tokens_out: 0, cost_usd: 0, cost_source: 'none' }]);
  });

  it('reports per model the actual cost, the cost on the most expensive eligible model, and the saving, exactly', async () => {
    const t = team(db());
    const gemini = await t.worker({ modelType: 'Gemini', modelName: 'gemini-2.5-flash', qualityTier: 1, capabilities: ['research'],
      inputUsdPerMillionTokens: 0.3, outputUsdPerMillionTokens: 2.5 });
    const sonnet = await t.worker({ modelName: 'claude-sonnet-4-5', qualityTier: 2, capabilities: ['research', 'coding'],
      inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
    // eligible for the baseline of what they could do, but never run anything
    await t.worker({ modelName: 'claude-opus-4-1', qualityTier: 3, capabilities: ['research', 'coding'], inputUsdPerMillionTokens: 15, outputUsdPerMillionTokens: 75 });
    await t.worker({ modelName: 'big-basic', qualityTier: 1, capabilities: ['research', 'coding'], inputUsdPerMillionTokens: 20, outputUsdPerMillionTokens: 100 });
    // the dearest of all, but with neither capability: never a baseline
    await t.worker({ modelName: 'designer', qualityTier: 3, capabilities: ['design'], inputUsdPerMillionTokens: 100, outputUsdPerMillionTokens: 100 });

    const projectId = (await createProject(db(), t.admin, { projectName: 'costed', budgetUsd: 5 }))[0]!.projectId!;
    await addPlan(db(), t.admin, projectId, [
      { key: 'r1', title: 'research', type: 'research', capabilities: ['research'] },
      { key: 'c1', title: 'code', type: 'coding', complexity: 'medium', capabilities: ['coding'] },
      { key: 'c2', title: 'code that fails', type: 'coding', complexity: 'medium', capabilities: ['coding'], maxAttempts: 1 },
    ]);
    await claimAndComplete(db(), gemini, { tokensIn: 100_000, tokensOut: 10_000 });
    await claimAndComplete(db(), sonnet, { tokensIn: 20_000, tokensOut: 5_000 });
    const c2 = (await claimNextTask(db(), sonnet.id, {}))[0]!;
    expect(c2.taskKey).toBe('c2');
    await failTask(db(), sonnet.id, { taskId: c2.taskId!, leaseToken: c2.leaseToken!, error: 'no', retryable: false, tokensIn: 1000, tokensOut: 1000, costUsd: 0.01 });

    // r1: actual 0.03 + 0.025 = 0.055; baseline big-basic (tier 1 is enough, research): 2.0 + 1.0 = 3.0
    // c1: actual 0.06 + 0.075 = 0.135; baseline opus (tier 2 needed: big-basic out): 0.3 + 0.375 = 0.675
    // c2 (failed, reported 0.01): baseline opus 0.015 + 0.075 = 0.09
    const project = { projectActualCostUsd: 0.2, projectBaselineCostUsd: 3.765, projectSavingUsd: 3.565, projectSavingPercent: 94.69, budgetUsd: 5, budgetRemainingUsd: 4.8 };
    expect(await getCostReport(db(), t.admin, { projectId })).toEqual([
      { modelName: 'claude-sonnet-4-5', workerIds: [sonnet.workerId], tasksCompleted: 1, tokensIn: 21_000, tokensOut: 6_000,
        actualCostUsd: 0.145, baselineCostUsd: 0.765, savingUsd: 0.62, savingPercent: 81.05, ...project },
      { modelName: 'gemini-2.5-flash', workerIds: [gemini.workerId], tasksCompleted: 1, tokensIn: 100_000, tokensOut: 10_000,
        actualCostUsd: 0.055, baselineCostUsd: 3, savingUsd: 2.945, savingPercent: 98.17, ...project },
    ]);
  });

  it('gives one empty row for a project without usage, and a negative remainder once the budget is overspent', async () => {
    const t = team(db());
    const w = await t.worker({ modelName: 'm', inputUsdPerMillionTokens: 3, outputUsdPerMillionTokens: 15 });
    const { projectId } = await createProjectWithPlan(db(), t.admin, [{ key: 'a', title: 'A' }]);
    expect(await getCostReport(db(), t.admin, { projectId })).toEqual([{
      modelName: null, workerIds: [], tasksCompleted: 0, tokensIn: 0, tokensOut: 0, actualCostUsd: 0, baselineCostUsd: 0, savingUsd: 0,
      savingPercent: 0, projectActualCostUsd: 0, projectBaselineCostUsd: 0, projectSavingUsd: 0, projectSavingPercent: 0,
      budgetUsd: null, budgetRemainingUsd: null,
    }]);

    const budgeted = (await createProject(db(), t.admin, { projectName: 'small budget', budgetUsd: 0.1 }))[0]!.projectId!;
    await addPlan(db(), t.admin, budgeted, [{ key: 'b', title: 'B' }]);
    // 'a' (older) then 'b'; only tokens: 20000 x $3 + 5000 x $15 per million = 0.135 each; the one model is its own baseline
    for (let i = 0; i < 2; i++) await claimAndComplete(db(), w, { tokensIn: 20_000, tokensOut: 5_000 });
    expect((await getCostReport(db(), t.admin, { projectId: budgeted }))).toEqual([{
      modelName: 'm', workerIds: [w.workerId], tasksCompleted: 1, tokensIn: 20_000, tokensOut: 5_000, actualCostUsd: 0.135, baselineCostUsd: 0.135,
      savingUsd: 0, savingPercent: 0, projectActualCostUsd: 0.135, projectBaselineCostUsd: 0.135, projectSavingUsd: 0, projectSavingPercent: 0,
      budgetUsd: 0.1, budgetRemainingUsd: -0.035,
    }]);
  });

  it('refuses an unknown project or another tenant\'s (50404) and writes nothing', async () => {
    const t = team(db());
    const { projectId } = await createProjectWithPlan(db(), t.admin, [{ key: 'a', title: 'A' }]);
    const before = await tableCounts(db(), t.tenant);
    await expect(getCostReport(db(), t.admin, { projectId: 987654321 }))
      .rejects.toMatchObject({ number: 50404, message: expect.stringContaining('project 987654321 not found') });
    await expect(getCostReport(db(), team(db()).admin, { projectId })).rejects.toMatchObject({ number: 50404 });
    expect(await tableCounts(db(), t.tenant)).toEqual(before);
  });
});

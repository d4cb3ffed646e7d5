import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, after the run, how many tests passed, failed and were skipped on each engine (from the
 * `[Engine]` tag in describe names), the reasons engines were skipped, and a plain closing line.
 */
export default class EngineSummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const perEngine = new Map<string, { passed: number; failed: number; skipped: number }>();
    const reasons = new Set<string>();
    let passed = 0, failed = 0, skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        const names: string[] = [];
        for (let p = t.parent; p && p.type === 'suite'; p = p.parent as typeof t.parent) names.push(p.name);
        const tag = names.map((n) => /\[(PGlite|PostgreSQL|SQL Server)\]( skipped: (.*))?/.exec(n)).find(Boolean);
        const engine = tag?.[1] ?? 'engine-independent';
        if (tag?.[3]) reasons.add(`${engine}: ${tag[3]}`);
        const e = perEngine.get(engine) ?? { passed: 0, failed: 0, skipped: 0 };
        if (state === 'passed') { e.passed++; passed++; }
        else if (state === 'failed') { e.failed++; failed++; }
        else { e.skipped++; skipped++; }
        perEngine.set(engine, e);
      }
    }
    const lines = ['', 'Per engine:'];
    for (const [engine, c] of [...perEngine].sort()) lines.push(`  ${engine.padEnd(20)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    for (const r of reasons) lines.push(`  skipped engine -> ${r}`);
    lines.push('', `${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.stdout.write(lines.join('\n') + '\n');
  }
}

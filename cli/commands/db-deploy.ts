import { deploy, type DeployReport } from '../../db/deploy.js';
import type { Command } from '../command.js';
import { DATABASE_HELP, DATABASE_OPTIONS, databaseTarget, describeTarget, withEngine } from '../database.js';

export const dbDeployCommand: Command = {
  name: 'db deploy',
  summary: 'create or update the schema, views, procedures and grants (safe to re-run)',
  usage: '[--url URL] [--data DIR]',
  help: [
    DATABASE_HELP,
    '',
    'Migrations run once each; views and procedures are re-applied only when their file changed.',
    'On SQL Server the sweep jobs are created in SQL Server Agent where it exists.',
  ].join('\n'),
  options: { ...DATABASE_OPTIONS },
  async run(ctx) {
    const target = databaseTarget(ctx);
    ctx.log(`deploying to the ${describeTarget(target)}`);
    const report = await withEngine(target, {}, (engine) => deploy(engine, ctx.log));
    ctx.out(formatDeployReport(report));
    return 0;
  },
};

export function formatDeployReport(r: DeployReport): string {
  const list = (items: string[]) => (items.length ? `${items.length} (${items.join(', ')})` : 'none');
  return [
    `engine:             ${r.engine}`,
    `schema version:     ${r.schemaVersion}`,
    `migrations applied: ${list(r.migrationsApplied)}`,
    `objects updated:    ${list(r.objectsUpdated)}`,
    `objects unchanged:  ${r.objectsUnchanged}`,
    `jobs:               ${r.jobs}`,
  ].join('\n');
}

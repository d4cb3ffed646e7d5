#!/usr/bin/env node
// The `mmos` command. Runs the TypeScript sources directly through tsx, so a fresh clone needs no
// build step: `npx mmos ...` and `npm run mmos -- ...` both land in cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runAsProcess } = await import(new URL('../cli/main.ts', import.meta.url).href);
await runAsProcess(process.argv.slice(2));

import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole flow in seconds: hub, admin and scripted Claude/Gemini workers on an in-memory database',
  usage: '',
  help: [
    'Runs the original notes\' Scenario 3 ("Build a REST API with authentication, logging, and',
    'documentation") end to end in this one process, with no API key and no network beyond 127.0.0.1:',
    'an in-memory embedded database (your .mmos/data is not touched), the hub on a free local port,',
    'an admin that creates the project and submits its four phases as one plan, and three headless',
    'workers whose scripted agents answer like `claude -p` and `gemini -p` with different',
    'capabilities and prices. One task fails once and is retried; the end-to-end tests go through',
    'the admin\'s review. A live view shows the tasks moving (redrawn on a terminal, one line per',
    'change otherwise); it ends with the project status and the cost report with its saving.',
    'Exit 0 when every task is done; 1 with the reason when anything else happens (or after 90 s).',
    'NO_COLOR=1 turns colours off.',
  ].join('\n'),
  options: {},
  async run(ctx) {
    const { runDemo } = await import('../../demo/run-demo.js');
    const tty = process.stdout.isTTY === true;
    return runDemo({ out: ctx.out, log: ctx.log, tty, color: tty && !ctx.env['NO_COLOR'], columns: process.stdout.columns });
  },
};

import { describe, expect, it } from 'vitest';
import { buildPrompt, MAX_DEPENDENCY_RESULT_CHARS, type ClaimedTask } from '../worker/prompt.js';
import { normalizeClaim, normalizeDependencyResults } from '../worker/mmos-api.js';
import { parseToolError, rowsOf, ToolCallError } from '../worker/tool-caller.js';
import { clipResult, describeFailure, MAX_RESULT_CHARS, taskFolderName } from '../worker/worker.js';

const base: ClaimedTask = {
  taskId: 42,
  taskKey: 'api',
  projectId: 7,
  projectName: 'Web scraper',
  title: 'Build the API',
  description: 'Three endpoints: /a, /b, /c.',
  taskType: 'coding',
  leaseToken: '6f1c2d7e-0000-4000-8000-000000000001',
  attempts: 1,
  maxAttempts: 3,
  reviewFeedback: null,
  dependencyResults: [],
};

describe('buildPrompt', () => {
  it('states the task, its type and description', () => {
    const p = buildPrompt(base);
    expect(p).toContain('# Task 42 (api): Build the API');
    expect(p).toContain('Type: coding');
    expect(p).toContain('## Description\nThree endpoints: /a, /b, /c.');
    expect(p).toContain('"Web scraper"');
    expect(p).not.toContain('Review feedback');
    expect(p).not.toContain('depends on');
    expect(p).not.toContain('Attempt:');
  });

  it('includes dependency results, clipped, and names each dependency', () => {
    const p = buildPrompt({
      ...base,
      dependencyResults: [
        { taskId: 1, taskKey: 'schema', title: 'Design schema', result: 'Tables: users, posts.' },
        { taskId: 2, taskKey: null, title: null, result: 'y'.repeat(MAX_DEPENDENCY_RESULT_CHARS + 50) },
      ],
    });
    expect(p).toContain('## Results of the tasks this one depends on');
    expect(p).toContain('### schema: Design schema\nTables: users, posts.');
    expect(p).toContain('### task 2\n');
    expect(p).toContain('[... 50 more characters cut]');
  });

  it('includes messages and review feedback, and says when an earlier attempt failed', () => {
    const p = buildPrompt({ ...base, attempts: 2, reviewFeedback: 'Add input validation.' }, [
      { messageId: 1, fromId: 'worker-2', messageType: 'info', content: 'I renamed the users table to accounts.' },
      { messageId: 2, fromId: 'AdminClaude', messageType: 'question', content: 'Use port 8080.' },
    ]);
    expect(p).toContain('## Review feedback\nA reviewer sent this task back. Address this feedback:\nAdd input validation.');
    expect(p).toContain('- from worker-2: I renamed the users table to accounts.');
    expect(p).toContain('- from AdminClaude [question]: Use port 8080.');
    expect(p).toContain('Attempt: 2 of 3 (an earlier attempt failed)');
  });
});

describe('normalizing a claim row', () => {
  it('maps the claim columns and parses dependency results given as JSON text or array', () => {
    const t = normalizeClaim({
      taskId: 5, taskKey: 'b', projectId: 3, title: 'B', description: null, taskType: 'docs', leaseToken: 'tok', attempts: 2, maxAttempts: 3,
      reviewFeedback: 'fix it', dependencyResults: '[{"taskId":4,"taskKey":"a","title":"A","result":"DONE(a)"}]',
    });
    expect(t).toMatchObject({ taskId: 5, taskKey: 'b', projectId: 3, taskType: 'docs', leaseToken: 'tok', attempts: 2, reviewFeedback: 'fix it' });
    expect(t.dependencyResults).toEqual([{ taskId: 4, taskKey: 'a', title: 'A', result: 'DONE(a)' }]);
    expect(normalizeDependencyResults([{ task_id: 9, result: 'r' }])).toEqual([{ taskId: 9, taskKey: null, title: null, result: 'r' }]);
    expect(normalizeDependencyResults('not json')).toEqual([]);
    expect(normalizeDependencyResults(null)).toEqual([]);
  });

  it('refuses a row without task id or lease token', () => {
    expect(() => normalizeClaim({ taskId: 5 })).toThrow(/without taskId\/leaseToken/);
  });
});

describe('tool results and errors', () => {
  it('parses the server error text into number and kind', () => {
    const e = parseToolError('complete_task', 'error 50412 (lease_mismatch): lease token does not match task 42');
    expect(e).toBeInstanceOf(ToolCallError);
    expect([e.tool, e.number, e.kind, e.message]).toEqual(['complete_task', 50412, 'lease_mismatch', 'lease token does not match task 42']);
    const other = parseToolError('x', 'MCP error -32602: Invalid arguments');
    expect([other.number, other.kind, other.message]).toEqual([null, null, 'MCP error -32602: Invalid arguments']);
  });

  it('reads rows from structuredContent, else from JSON text, and throws on isError', () => {
    expect(rowsOf('t', { structuredContent: { rows: [{ a: 1 }] }, content: [] })).toEqual([{ a: 1 }]);
    expect(rowsOf('t', { content: [{ type: 'text', text: '{"rows":[{"b":2}]}' }] })).toEqual([{ b: 2 }]);
    expect(rowsOf('t', { content: [{ type: 'text', text: '[{"c":3}]' }] })).toEqual([{ c: 3 }]);
    expect(rowsOf('t', { content: [] })).toEqual([]);
    expect(() => rowsOf('t', { isError: true, content: [{ type: 'text', text: 'error 50404 (not_found): task 9 not found' }] })).toThrow(
      expect.objectContaining({ number: 50404, kind: 'not_found', message: 'task 9 not found' }),
    );
    expect(() => rowsOf('t', { content: [{ type: 'text', text: 'hello' }] })).toThrow(/not JSON/);
  });
});

describe('worker helpers', () => {
  it('names task folders from a safe key, else the id', () => {
    expect(taskFolderName({ taskId: 1, taskKey: 'api-v2.1' })).toBe('api-v2.1');
    expect(taskFolderName({ taskId: 1, taskKey: '../../etc/passwd' })).toBe('etc_passwd');
    expect(taskFolderName({ taskId: 7, taskKey: null })).toBe('task-7');
    expect(taskFolderName({ taskId: 8, taskKey: '...' })).toBe('task-8');
  });

  it('clips results to the database limit', () => {
    expect(clipResult('short')).toBe('short');
    const clipped = clipResult('z'.repeat(MAX_RESULT_CHARS + 10));
    expect(clipped.length).toBe(MAX_RESULT_CHARS);
    expect(clipped).toMatch(/result cut to 100000 characters\]$/);
  });

  it('describes failures with exit code or signal and the stderr tail', () => {
    const run = { exitCode: 2, exitSignal: null, stdout: '', stdoutTruncated: false, stderrTail: 'boom\n', timedOut: false, aborted: false, spawnError: null, durationMs: 5 };
    expect(describeFailure(run, 60)).toBe('agent exited with code 2\n--- stderr (last 2000 chars) ---\nboom\n');
    expect(describeFailure({ ...run, exitCode: null, exitSignal: 'SIGKILL', stderrTail: '' }, 60)).toBe('agent was killed by SIGKILL');
    expect(describeFailure({ ...run, timedOut: true, exitCode: null, stderrTail: '' }, 60)).toBe('timed out after 60 s');
    expect(describeFailure({ ...run, spawnError: 'spawn nope ENOENT' }, 60)).toBe('could not start the agent: spawn nope ENOENT');
  });
});

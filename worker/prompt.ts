/** What the worker knows about a claimed task, normalized from claim_next_task's row. */
export interface ClaimedTask {
  taskId: number;
  taskKey: string | null;
  projectId: number | null;
  projectName: string | null;
  title: string;
  description: string | null;
  taskType: string | null;
  leaseToken: string;
  attempts: number | null;
  maxAttempts: number | null;
  reviewFeedback: string | null;
  dependencyResults: DependencyResult[];
}

export interface DependencyResult {
  taskId: number | null;
  taskKey: string | null;
  title: string | null;
  result: string | null;
}

export interface InboxMessage {
  messageId: number | null;
  fromId: string | null;
  messageType: string | null;
  content: string;
}

/** Dependency results are summaries for context, not the place to ship whole files. */
export const MAX_DEPENDENCY_RESULT_CHARS = 8000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[... ${text.length - max} more characters cut]`;
}

/**
 * The prompt an agent CLI gets for one task: what to do, what the tasks it depends on produced,
 * what other agents told it, and the reviewer's feedback when the task came back from review.
 * Pure, so it is tested directly.
 */
export function buildPrompt(task: ClaimedTask, messages: readonly InboxMessage[] = []): string {
  const parts: string[] = [];
  const key = task.taskKey ? ` (${task.taskKey})` : '';
  parts.push(`You are a worker agent in MMOS, a team of AI agents sharing one project${task.projectName ? ` ("${task.projectName}")` : ''}.`);
  parts.push(
    'Carry out the task below in the current directory, which is your workspace for it. ' +
      'Your final answer is recorded as the task result and handed to the tasks that depend on this one, ' +
      'so end with a concise summary of what you did and what others need to know.',
  );
  parts.push(`# Task ${task.taskId}${key}: ${task.title}`);
  const facts = [`Type: ${task.taskType ?? 'general'}`];
  if (task.attempts && task.attempts > 1) facts.push(`Attempt: ${task.attempts}${task.maxAttempts ? ` of ${task.maxAttempts}` : ''} (an earlier attempt failed)`);
  parts.push(facts.join('\n'));
  if (task.description?.trim()) parts.push(`## Description\n${task.description.trim()}`);
  if (task.reviewFeedback?.trim())
    parts.push(`## Review feedback\nA reviewer sent this task back. Address this feedback:\n${task.reviewFeedback.trim()}`);
  if (task.dependencyResults.length) {
    const deps = task.dependencyResults.map((d) => {
      const name = [d.taskKey, d.title].filter(Boolean).join(': ') || `task ${d.taskId ?? '?'}`;
      return `### ${name}\n${clip(d.result?.trim() || '(no result text)', MAX_DEPENDENCY_RESULT_CHARS)}`;
    });
    parts.push(`## Results of the tasks this one depends on\n${deps.join('\n\n')}`);
  }
  if (messages.length) {
    const lines = messages.map((m) => `- from ${m.fromId ?? 'unknown'}${m.messageType && m.messageType !== 'info' ? ` [${m.messageType}]` : ''}: ${m.content.trim()}`);
    parts.push(`## Messages for you\n${lines.join('\n')}`);
  }
  return `${parts.join('\n\n')}\n`;
}

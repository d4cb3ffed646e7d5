import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * The SDK's stdio client transport, but with the server in its own process group. Why: Ctrl+C in
 * a terminal signals the whole foreground group; `mmos mcp` would then unregister the worker (and
 * release its tasks) at once, while the worker is still giving its running tasks their grace
 * period. Detached, the server hears only the worker: it ends when the worker closes its stdin
 * (or dies: stdin then closes too, and the server unregisters the worker).
 */
export class DetachedStdioClientTransport implements Transport {
  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly server: { command: string; args: string[]; env: Record<string, string>; cwd?: string }) {}

  start(): Promise<void> {
    if (this.child) throw new Error('DetachedStdioClientTransport already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.server.command, this.server.args, {
        env: this.server.env,
        cwd: this.server.cwd,
        stdio: ['pipe', 'pipe', 'inherit'],
        detached: true,
        windowsHide: true,
      });
      this.child = child;
      child.on('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        this.child = undefined;
        this.onclose?.();
      });
      child.stdin!.on('error', (err) => this.onerror?.(err));
      child.stdout!.on('data', (chunk: Buffer) => {
        this.buffer.append(chunk);
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch (err) {
            this.onerror?.(err as Error);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
      child.stdout!.on('error', (err) => this.onerror?.(err));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin) return reject(new Error('the stdio MCP server is not running'));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Closes stdin and waits for the server to unregister and exit; SIGTERM, then SIGKILL, if it lingers. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const wait = (ms: number) => Promise.race([exited, new Promise<void>((r) => setTimeout(r, ms).unref())]);
    try {
      child.stdin?.end();
    } catch {
      /* already closed */
    }
    await wait(10_000);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await wait(3000);
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.buffer.clear();
  }
}

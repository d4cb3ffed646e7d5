import type { Identity } from '../../db/call.js';

/** The caller as the server would fill it: tenant 'default' unless a test isolates one. */
export function as(callerId: string, tenantId = 'default'): Identity {
  return { tenantId, callerId };
}

export const admin = as('AdminClaude');

/** A unique suffix so tests sharing one database never see each other's rows. */
let n = 0;
export function unique(prefix: string): string {
  n += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${n}`;
}

import { UsageError } from '../errors.js';

/**
 * What `mmos init` makes of each worker folder. Workers take their agent kind from a rotation
 * (default claude, gemini, codex, claude, ...), so `--workers 2` gives the original notes' pair: a
 * Claude worker for coding and a Gemini worker for research and planning. `--agents gemini,codex`
 * changes the rotation. Capabilities follow the kind; edit a folder's config to change them.
 */
export type AgentKind = 'claude' | 'gemini' | 'codex';

export interface AgentPreset {
  /** WORKER_TYPE and the folder name part: WorkerClaude1, WorkerGemini2. */
  type: string;
  capabilities: readonly string[];
}

export const AGENT_PRESETS: Record<AgentKind, AgentPreset> = {
  claude: { type: 'Claude', capabilities: ['general', 'coding', 'analysis'] },
  gemini: { type: 'Gemini', capabilities: ['general', 'planning', 'research'] },
  codex: { type: 'Codex', capabilities: ['general', 'coding', 'testing'] },
};

export const DEFAULT_ROTATION: readonly AgentKind[] = ['claude', 'gemini', 'codex'];

export const ADMIN_FOLDER = 'AdminClaude';

export interface WorkerPlan {
  n: number;
  kind: AgentKind;
  folder: string;
  workerId: string;
  workerName: string;
  workerType: string;
  capabilities: readonly string[];
}

export function parseRotation(raw: string | undefined): AgentKind[] {
  if (raw === undefined) return [...DEFAULT_ROTATION];
  const kinds = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = kinds.filter((k) => !(k in AGENT_PRESETS));
  if (!kinds.length || bad.length)
    throw new UsageError(`--agents takes a comma list of ${Object.keys(AGENT_PRESETS).join(', ')}${bad.length ? `; unknown: ${bad.join(', ')}` : ''}`);
  return kinds as AgentKind[];
}

export function planWorkers(count: number, rotation: readonly AgentKind[]): WorkerPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const kind = rotation[i % rotation.length]!;
    const p = AGENT_PRESETS[kind];
    return {
      n,
      kind,
      folder: `Worker${p.type}${n}`,
      workerId: `worker-${n}`,
      workerName: `${p.type}-Worker-${n}`,
      workerType: p.type,
      capabilities: p.capabilities,
    };
  });
}

import type { PlanTaskInput } from '../codegen/json-shapes.js';
import type { Registration } from '../worker/mmos-api.js';
import type { PresetName } from '../worker/presets.js';

/**
 * The demo's data: the original notes' Scenario 3 ("Build a REST API with authentication, logging,
 * and documentation") as one add_tasks plan, and the team that works on it. Types, capabilities,
 * complexity and priorities are chosen so that routing is visible: the planning and docs tasks
 * could run on Claude-Worker-1 or on the Gemini worker, and assign_ready_tasks gives them to the
 * cheaper one (the cost report prices them on Claude as the all-premium baseline); security and
 * database work need a particular Claude worker; high complexity needs tier 3 (Claude); logging
 * goes to whichever coding worker is free.
 */
export const PROJECT_NAME = 'REST API System';
export const PROJECT_REQUEST = 'Build a REST API with authentication, logging, and documentation';

const P1 = 'Phase 1: Architecture & Planning';
const P2 = 'Phase 2: Core Implementation';
const P3 = 'Phase 3: Supporting Features';
const P4 = 'Phase 4: Integration & Testing';

export const PLAN: PlanTaskInput[] = [
  {
    key: 'api-design', title: 'API design', phase: P1, type: 'planning', complexity: 'medium', priority: 30,
    capabilities: ['planning'],
    description: 'Design the REST resources, routes, status codes and error format of the API.',
  },
  {
    key: 'db-schema', title: 'Database schema', phase: P1, type: 'coding', complexity: 'medium', priority: 30,
    capabilities: ['coding', 'database'],
    description: 'Design the tables, keys and migrations for users, sessions and the API resources.',
  },
  {
    key: 'auth', title: 'Authentication system', phase: P2, type: 'coding', complexity: 'high', priority: 20,
    capabilities: ['coding', 'security'], dependsOn: ['api-design', 'db-schema'],
    description: 'Sign-up, login, password hashing and JWT access/refresh tokens, following the API design.',
  },
  {
    key: 'endpoints', title: 'Core API endpoints', phase: P2, type: 'coding', complexity: 'high', priority: 20,
    capabilities: ['coding', 'database'], dependsOn: ['api-design', 'db-schema'],
    description: 'Implement the CRUD endpoints of the API design on the database schema, with validation.',
  },
  {
    key: 'logging', title: 'Logging implementation', phase: P3, type: 'coding', complexity: 'low', priority: 10,
    capabilities: ['coding'], dependsOn: ['api-design', 'db-schema'],
    description: 'Structured request logging with correlation ids and log levels.',
  },
  {
    key: 'docs', title: 'Documentation generation', phase: P3, type: 'docs', complexity: 'low', priority: 10,
    capabilities: ['docs'], dependsOn: ['endpoints'],
    description: 'Generate the OpenAPI document and a getting-started guide from the implemented endpoints.',
  },
  {
    key: 'e2e-tests', title: 'End-to-end testing', phase: P4, type: 'testing', complexity: 'high', priority: 5,
    capabilities: ['testing'], dependsOn: ['auth', 'endpoints', 'logging', 'docs'], requiresReview: true,
    description: 'End-to-end tests of the whole API: auth flows, CRUD, error cases, logs. The admin reviews the result.',
  },
];

/** The task whose first attempt the scripted agent fails, to show a retry. */
export const FAIL_ONCE_KEYS = ['logging'];

export interface DemoWorker {
  registration: Registration;
  preset: PresetName;
}

const worker = (
  instanceName: string, preset: PresetName, modelName: string, capabilities: string[],
  qualityTier: number, input: number, output: number, workerCapacity = 1,
): DemoWorker => ({
  preset,
  registration: {
    instanceName, modelType: preset === 'gemini' ? 'Gemini' : 'Claude', modelName, capabilities, workerCapacity, qualityTier,
    inputUsdPerMillionTokens: input, outputUsdPerMillionTokens: output,
  },
});

/** The team: worker id = instance name, so the status table reads like the notes. Prices in USD per million tokens. */
export const WORKERS: DemoWorker[] = [
  worker('Claude-Worker-1', 'claude', 'claude-sonnet-4-5', ['general', 'coding', 'analysis', 'security', 'planning', 'docs'], 3, 3, 15),
  worker('Claude-Worker-2', 'claude', 'claude-sonnet-4-5', ['general', 'coding', 'testing', 'database'], 3, 3, 15),
  worker('Gemini-Worker', 'gemini', 'gemini-2.5-flash', ['general', 'research', 'docs', 'planning'], 2, 0.3, 2.5, 2),
];

export const ADMIN_ID = 'AdminClaude';
export const TENANT_ID = 'demo';

/** Mechanical name mapping between the twins (docs/conventions.md#files). */

/** ClaimNextTask -> claim_next_task; _ReleaseWorkerTasks -> _release_worker_tasks. */
export function pascalToSnake(name: string): string {
  const lead = name.startsWith('_') ? '_' : '';
  const body = name.slice(lead.length);
  return lead + body.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** claim_next_task -> ClaimNextTask. */
export function snakeToPascal(name: string): string {
  const lead = name.startsWith('_') ? '_' : '';
  return lead + name.slice(lead.length).split('_').filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

/** TaskId -> taskId. */
export function pascalToCamel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

/** task_id -> taskId. */
export function snakeToCamel(name: string): string {
  return pascalToCamel(snakeToPascal(name));
}

/** PostgreSQL parameter name: LeaseSeconds -> p_lease_seconds. */
export function pgParamName(pascal: string): string {
  return 'p_' + pascalToSnake(pascal);
}

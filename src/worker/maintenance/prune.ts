import { deleteExpiredIdempotencyKeys } from '../../shared/db/idempotency-keys.js';
import type { WorkerContext, WorkerFeature } from '../../shared/jobs/context.js';

/**
 * Retention housekeeping, run hourly by the maintenance loop (./tasks.ts): Idempotency-Keys
 * (24 h), then each feature's own steps (HubSpot events after 30 days, abandoned uploads a
 * day after their window). Returns the rows removed, by step.
 */
export async function prune(
  context: WorkerContext,
  features: readonly WorkerFeature[],
): Promise<Record<string, number>> {
  const removed: Record<string, number> = {
    idempotencyKeys: await deleteExpiredIdempotencyKeys(context.knex),
  };
  for (const feature of features)
    for (const [name, step] of Object.entries(feature.prune ?? {})) removed[name] = await step(context);
  if (Object.values(removed).some((count) => count > 0))
    context.logger.info(
      // Log fields are snake_case, like every other log field.
      Object.fromEntries(Object.entries(removed).map(([name, count]) => [snakeCase(name), count])),
      'pruned old rows',
    );
  return removed;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

import type { TestApp } from '../../support/app.js';

export { call, newPatient, type Answer, type Patient } from '../../support/patients.js';

/** A treatment row; only the fields the wear statistics read matter here. */
export async function createTreatment(
  app: TestApp,
  userId: string,
  fields: { started_on: string; daily_wear_goal_minutes?: number },
): Promise<void> {
  await app.deps.knex('treatments').insert({
    user_id: userId,
    status: 'active',
    total_aligners: 20,
    current_aligner: 1,
    change_interval_days: 14,
    current_aligner_started_on: fields.started_on,
    ...fields,
  });
}

export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

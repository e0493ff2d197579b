import type { Knex } from 'knex';
import { refreshAdherenceWindows } from '../adherence/refresh.js';
import { rollUpUser, type RollUpResult } from './daily-rollup.js';

/**
 * A user's daily upkeep, run by the worker when they are due (./roll-up-job.ts) and by
 * the rebuild command: their rollup brought up to the last settled day, then their
 * adherence windows recomputed from it (docs/decisions/014-adherence-windows.md). Null
 * for an erased user.
 */
export async function keepUserUp(
  knex: Knex,
  userId: string,
  silentDaysAllowed: number,
  options: { now?: Date; rebuild?: boolean } = {},
): Promise<(RollUpResult & { adherenceWindows: number }) | null> {
  const rolled = await rollUpUser(knex, userId, silentDaysAllowed, options);
  if (rolled === null) return null;
  const adherenceWindows = await refreshAdherenceWindows(knex, userId, silentDaysAllowed, options.now);
  return { ...rolled, adherenceWindows };
}

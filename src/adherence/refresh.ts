import type { Knex } from 'knex';
import { addDays } from '../shared/time/local-time.js';
import { contactDaysBetween } from '../users/contact-days.js';
import { activeUsers } from '../users/model.js';
import { figuresOfWindow, loadAdherenceBasis } from './compute.js';

/** The windows the at-risk list ranks by (docs/internal-api.md#at-risk). */
export const ADHERENCE_WINDOWS = [7, 14, 30] as const;
export type AdherenceWindow = (typeof ADHERENCE_WINDOWS)[number];
const LONGEST_WINDOW = Math.max(...ADHERENCE_WINDOWS);

/**
 * Recomputes the user's adherence windows (docs/decisions/014-adherence-windows.md): the
 * figures of the 7, 14 and 30 complete local days before today, as the app would show
 * them, with whether the app was silent for the whole window. Only a user in an active
 * treatment has rows (the list is of active treatments); the others' rows are removed.
 * The worker runs it after each roll-up: at the user's midnight, and after any change of
 * their wear, plan or zone. Returns the windows written.
 */
export async function refreshAdherenceWindows(
  knex: Knex,
  userId: string,
  silentDaysAllowed: number,
  now = new Date(),
): Promise<number> {
  const user = (await activeUsers(knex).where({ id: userId }).first('cognito_sub', 'timezone')) as
    { cognito_sub: string; timezone: string } | undefined;
  if (!user) return 0;
  const basis = await loadAdherenceBasis(knex, user, LONGEST_WINDOW, silentDaysAllowed, now);
  if (basis.treatment?.status !== 'active') {
    await knex('adherence_windows').where({ user_id: userId }).delete();
    return 0;
  }
  const through = addDays(basis.today, -1);
  const contactDays = await contactDaysBetween(
    knex,
    userId,
    addDays(through, -(LONGEST_WINDOW - 1)),
    through,
  );
  // The dentist is read by the statement itself: a change committed meanwhile is not undone.
  const rows = ADHERENCE_WINDOWS.map((length) => {
    const figures = figuresOfWindow(basis, through, length);
    const first = addDays(through, -(length - 1));
    const silent = figures.tracked_days > 0 && !contactDays.some((day) => day >= first);
    return {
      user_id: userId,
      window_days: length,
      through,
      silent,
      wear_ratio:
        figures.average_wear_minutes === null ? null : figures.average_wear_minutes / figures.goal_minutes,
      figures,
      computed_at: now,
    };
  });
  // Written only while the treatment is still active: a pause committed since the read
  // has removed the rows (by trigger) and must not see them back.
  const written = await knex.raw(
    `insert into adherence_windows (user_id, window_days, through, silent, wear_ratio, dentist_id, figures, computed_at)
     select w.user_id, w.window_days, w.through, w.silent, w.wear_ratio,
            (select dentist_id from users where id = :user), w.figures, w.computed_at
       from jsonb_to_recordset(:rows::jsonb) as w(user_id uuid, window_days smallint, through date,
                                                  silent boolean, wear_ratio real, figures jsonb,
                                                  computed_at timestamptz)
      where exists (select 1 from treatments t join users u on u.id = t.user_id
                     where t.user_id = :user and t.status = 'active' and u.deleted_at is null)
     on conflict (user_id, window_days) do update
       set through = excluded.through, silent = excluded.silent, wear_ratio = excluded.wear_ratio,
           dentist_id = excluded.dentist_id, figures = excluded.figures, computed_at = excluded.computed_at`,
    { user: userId, rows: JSON.stringify(rows) },
  );
  return (written as { rowCount: number }).rowCount;
}

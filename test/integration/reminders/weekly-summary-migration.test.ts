import { afterAll, describe, expect, it } from '@jest/globals';
import { createKnex, type Knex } from '../../../src/shared/db/knex.js';
import { planWeeklySummary } from '../../../src/reminders/planning.js';
import { createEmptyDatabase } from '../../support/database.js';

// Rows first (docs/reminders.md#weekly-summary): the migration gives every existing user
// with the push on the pending row of their next Sunday, the one the planner would make.

const MIGRATION = '20261204000200_weekly_summary.js';
let database: { url: string; drop: () => Promise<void> } | undefined;
let knex: Knex | undefined;
afterAll(async () => {
  await knex?.destroy();
  await database?.drop();
});

async function migrateUpTo(name: string): Promise<void> {
  for (;;) {
    const [, pending] = (await knex!.migrate.list()) as [unknown, Array<{ file: string }>];
    if (pending[0]!.file === name) return;
    await knex!.migrate.up();
  }
}

describe(`migration ${MIGRATION}`, () => {
  it('plans the next Sunday of each active user with the push on, in their zone and at their time', async () => {
    database = await createEmptyDatabase();
    knex = createKnex(database.url);
    await migrateUpTo(MIGRATION);
    const user = async (sub: string, timezone: string, deleted = false) => {
      const [row] = (await knex!('users')
        .insert({
          cognito_sub: sub,
          email: `${sub}@example.com`,
          timezone,
          locale: 'en',
          deleted_at: deleted ? new Date() : null,
        })
        .returning('id')) as Array<{ id: string }>;
      return row!.id;
    };
    const london = await user('london', 'Europe/London');
    const berlin = await user('berlin', 'Europe/Berlin');
    const kathmandu = await user('kathmandu', 'Asia/Kathmandu');
    await user('erased', 'UTC', true);
    await knex('user_settings').insert({ user_id: berlin, reminder_time: '21:30' });
    await knex('user_settings').insert({ user_id: kathmandu, reminder_time: '00:00' });

    await knex.migrate.up();
    const now = new Date();
    const rows = (await knex('reminders')
      .join('users', 'users.id', 'reminders.user_id')
      .orderBy('users.cognito_sub')
      .select('users.cognito_sub', 'reminders.*')) as Array<{
      cognito_sub: string;
      user_id: string;
      type: string;
      status: string;
      send_after: Date;
      week_of: string;
    }>;
    const expected = [
      ['berlin', berlin, 'Europe/Berlin', '21:30'],
      ['kathmandu', kathmandu, 'Asia/Kathmandu', '00:00'],
      ['london', london, 'Europe/London', '09:00'],
    ] as const;
    expect(rows.map((row) => row.cognito_sub)).toEqual(expected.map(([sub]) => sub));
    for (const [sub, id, zone, time] of expected) {
      const row = rows.find((candidate) => candidate.cognito_sub === sub)!;
      const plan = planWeeklySummary({ settings: { weekly_summary: true, reminder_time: time }, zone, now })!;
      expect({ ...row, send_after: row.send_after.toISOString() }).toMatchObject({
        user_id: id,
        type: 'weekly_summary',
        status: 'pending',
        week_of: plan.week_of,
        send_after: plan.send_after.toISOString(),
      });
    }

    // And back: the rows and columns go, the type check is as it was.
    await knex.migrate.down();
    expect(await knex('reminders').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await knex.schema.hasColumn('user_settings', 'weekly_summary')).toBe(false);
    await expect(
      knex('reminders').insert({ user_id: london, type: 'weekly_summary', send_after: now }),
    ).rejects.toThrow(/reminders_type_valid|week_of/);
  });
});

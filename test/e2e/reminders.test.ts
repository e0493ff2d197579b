import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { developmentToken } from '../../src/dev/development-token.js';
import { waitFor } from '../support/jobs.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { startStack, type Stack } from '../support/processes.js';

// The API and the worker as separate processes, as in production, against a stub
// OneSignal on loopback (docs/reminders.md, issue 4 acceptance).
const ZONE = 'Europe/London';
const stub = new OneSignalStub();
let stack: Stack;
const sub = 'e2e-reminders-user';
let token: string;

beforeAll(async () => {
  await stub.start();
  stack = await startStack({
    INTERNAL_API_KEYS: 'e2e-key',
    ONESIGNAL_APP_ID: 'e2e-app',
    ONESIGNAL_REST_API_KEY: 'e2e-rest-key',
    ONESIGNAL_API_URL: stub.url,
  });
  token = await developmentToken(sub);
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await stub.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field below
type Json = any;

async function call(method: string, path: string, json?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${stack.base}/auth/users/${sub}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const today = () => DateTime.now().setZone(ZONE).startOf('day');
/** 09:00 (the default reminder_time) in London on a date, as a UTC instant. */
const nineAm = (date: DateTime) => date.set({ hour: 9, minute: 0 }).toUTC().toISO();

/** The first local date on which London's UTC offset differs from today's. */
function nextOffsetChange(): DateTime {
  let day = today().plus({ days: 1 });
  while (day.set({ hour: 12 }).offset === today().set({ hour: 12 }).offset) day = day.plus({ days: 1 });
  return day;
}

async function liveProgressReminder() {
  const { body } = await call('GET', '/notifications?type=progress');
  return (body.items as Array<{ status: string; send_after: string; id: string }>).find((item) =>
    ['pending', 'scheduled'].includes(item.status),
  );
}

describe('reminders end to end (API + worker processes, stub OneSignal)', () => {
  it('an aligner change moves the progress reminder: old one cancelled at OneSignal, new one at 09:00 local', async () => {
    expect((await call('PUT', '', { email: 'e2e-reminders@example.com', timezone: ZONE })).status).toBe(201);
    const startedOn = today().minus({ days: 40 }).toISODate();
    const currentStarted = today().minus({ days: 10 });
    const plan = {
      total_aligners: 20,
      current_aligner: 3,
      change_interval_days: 14,
      started_on: startedOn,
      current_aligner_started_on: currentStarted.toISODate(),
    };
    expect((await call('PUT', '/treatment', plan)).status).toBe(201);
    const firstChange = currentStarted.plus({ days: 14 });
    await waitFor(
      async () => stub.creates().length,
      (n) => n === 1,
    );
    const first = stub.creates()[0]!;
    expect(first.authorization).toBe('Key e2e-rest-key');
    expect(first.body).toMatchObject({
      app_id: 'e2e-app',
      include_aliases: { external_id: [sub] },
      target_channel: 'push',
      send_after: nineAm(firstChange),
      data: { type: 'progress' },
    });
    const firstReminder = await waitFor(liveProgressReminder, (r) => r?.status === 'scheduled');

    expect((await call('POST', '/treatment/aligner-changes', {})).status).toBe(201);
    // The old notification is deleted at OneSignal; the new one is at today + 14, 09:00 London.
    await waitFor(
      async () => stub.cancels().length,
      (n) => n === 1,
    );
    expect(stub.cancels()[0]!.query).toEqual({ app_id: 'e2e-app' });
    await waitFor(
      async () => stub.creates().length,
      (n) => n === 2,
    );
    expect(stub.creates()[1]!.body).toMatchObject({ send_after: nineAm(today().plus({ days: 14 })) });
    const second = await waitFor(liveProgressReminder, (r) => r?.status === 'scheduled');
    expect(second!.id).not.toBe(firstReminder!.id);
    const old = (await call('GET', '/notifications?type=progress')).body.items.find(
      (item: { id: string }) => item.id === firstReminder!.id,
    );
    expect(old.status).toBe('cancelled');
  }, 60000);

  it('across a DST change, the reminder is at 09:00 local in the new offset (handed over 30 days before)', async () => {
    // Push the next change to the first day after London's next offset change, with extensions.
    const target = nextOffsetChange();
    let next = DateTime.fromISO((await call('GET', '/treatment')).body.next_change_on as string, {
      zone: ZONE,
    });
    while (next < target) {
      const days = Math.min(30, Math.round(target.diff(next, 'days').days));
      expect(
        (await call('POST', '/treatment/extensions', { days, reason: 'e2e: reach the DST change' })).status,
      ).toBe(201);
      next = next.plus({ days });
    }
    expect((await call('GET', '/treatment')).body.next_change_on).toBe(target.toISODate());
    const reminder = await waitFor(
      liveProgressReminder,
      (r) => r !== undefined && r.send_after === nineAm(target),
    );
    const expectedOffset = target.set({ hour: 9 }).offset;
    expect(expectedOffset).not.toBe(today().set({ hour: 12 }).offset);
    // More than 30 days ahead it stays pending (not yet at OneSignal); within 30 days it is scheduled.
    const withinHorizon = target.diffNow('days').days <= 30;
    await waitFor(liveProgressReminder, (r) => r?.status === (withinHorizon ? 'scheduled' : 'pending'));
    expect(reminder!.send_after).toBe(nineAm(target));
  }, 60000);

  it('starting and ending a wear session schedules and cancels the wear reminder', async () => {
    const creates = stub.creates().length;
    const cancels = stub.cancels().length;
    const started = await call('POST', '/wear-sessions', { reason: 'meal' });
    expect(started.status).toBe(201);
    await waitFor(
      async () => stub.creates().length,
      (n) => n === creates + 1,
    );
    const created = stub.creates()[creates]!.body as {
      send_after: string;
      data: { type: string };
      contents: unknown;
    };
    expect(created.data.type).toBe('wear');
    expect(created.contents).toEqual({ en: 'Time to put your aligners back in' });
    expect(Date.parse(created.send_after) - Date.parse(started.body.started_at)).toBe(30 * 60_000);

    expect(
      (await call('PATCH', `/wear-sessions/${started.body.id}`, { ended_at: new Date().toISOString() }))
        .status,
    ).toBe(200);
    await waitFor(
      async () => stub.cancels().length,
      (n) => n === cancels + 1,
    );
    const { body } = await call('GET', '/notifications?type=wear');
    await waitFor(
      async () => (await call('GET', '/notifications?type=wear')).body.items[0].status,
      (status) => status === 'cancelled',
    );
    expect(body.items).toHaveLength(1);
  }, 60000);
});

import { remindersQueue, scheduleReminderJob } from '../../../src/reminders/jobs.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { OneSignalClient } from '../../../src/shared/clients/onesignal.js';
import type { Reminder } from '../../../src/reminders/model.js';
import type { User } from '../../../src/users/model.js';
import { commitThenDispatch } from '../../../src/shared/db/transaction.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { withdrawReminder } from '../../../src/reminders/repository.js';
import { processCancelReminder } from '../../../src/reminders/cancel-job.js';
import { processScheduleReminder } from '../../../src/reminders/schedule-job.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createReminder, createUser } from '../../support/factories.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { startTestWorker, workerContextFor } from '../../support/worker.js';

const ONESIGNAL = 'https://onesignal.test';
const APP_ID = 'app-0000-1111';
const REST_KEY = 'rest-key-secret';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;

beforeAll(async () => {
  app = await startTestApp({
    env: { ONESIGNAL_APP_ID: APP_ID, ONESIGNAL_REST_API_KEY: REST_KEY, ONESIGNAL_API_URL: ONESIGNAL },
  });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => app.close());

const reminderRow = (id: string) => app.deps.knex('reminders').where({ id }).first() as Promise<Reminder>;
const context = (timeoutMs?: number) => ({
  ...workerContextFor(app),
  ...(timeoutMs
    ? { onesignal: new OneSignalClient({ apiUrl: ONESIGNAL, appId: APP_ID, apiKey: REST_KEY, timeoutMs }) }
    : {}),
});

/** The seed's body, byte for byte, plus the idempotency key (docs/reminders.md#schedule). */
const owners = new Map<string, User>();

/** A reminder of a user of its own (one live progress reminder per user is a constraint). */
async function newReminder(overrides: Partial<Reminder> = {}): Promise<Reminder> {
  const owner = await createUser(app.deps.knex);
  const reminder = await createReminder(app.deps.knex, { user_id: owner.id, ...overrides });
  owners.set(reminder.id, owner);
  return reminder;
}

function expectedBody(reminder: Reminder) {
  return {
    app_id: APP_ID,
    include_aliases: { external_id: [owners.get(reminder.id)!.cognito_sub] },
    target_channel: 'push',
    headings: { en: 'Progress Reminder' },
    contents: { en: 'Today is the day to switch to aligner 2' },
    send_after: reminder.send_after.toISOString(),
    data: { notification_id: reminder.id, type: 'progress' },
    idempotency_key: reminder.id,
  };
}

function expectCreate(reminder: Reminder, bodies: unknown[] = []) {
  return nock(ONESIGNAL, {
    reqheaders: {
      authorization: `Key ${REST_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
  }).post('/notifications', (body) => {
    bodies.push(body);
    return true;
  });
}

async function enqueueSchedule(reminder: Reminder) {
  await app.deps.dispatcher.dispatch([{ job: scheduleReminderJob, rowId: reminder.id }]);
}

describe('schedule job (real worker)', () => {
  it('sends the exact request and ends scheduled with the OneSignal id after one attempt', async () => {
    const reminder = await newReminder();
    const bodies: unknown[] = [];
    const scope = expectCreate(reminder, bodies).reply(200, { id: 'os-notification-1', external_id: null });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status !== 'pending',
    );
    expect(row).toMatchObject({
      status: 'scheduled',
      onesignal_id: 'os-notification-1',
      attempts: 1,
      last_error: null,
    });
    expect(bodies).toEqual([expectedBody(reminder)]);
    scope.done();
  });

  it('ends skipped with the reason when OneSignal answers 200 without an id', async () => {
    const reminder = await newReminder();
    expectCreate(reminder).reply(200, { id: '', errors: ['All included players are not subscribed'] });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status !== 'pending',
    );
    expect(row).toMatchObject({
      status: 'skipped',
      status_reason: '["All included players are not subscribed"]',
      onesignal_id: null,
      attempts: 1,
    });
  });

  it('waits for Retry-After on 429 without spending an attempt', async () => {
    const reminder = await newReminder();
    const times: number[] = [];
    expectCreate(reminder)
      .reply(() => {
        times.push(Date.now());
        return [429, { errors: ['rate limited'] }, { 'retry-after': '1' }];
      })
      .post('/notifications')
      .reply(() => {
        times.push(Date.now());
        return [200, { id: 'os-after-429' }];
      });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status === 'scheduled',
    );
    expect(row).toMatchObject({ onesignal_id: 'os-after-429', attempts: 1 });
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
  });

  it('retries a 500 with backoff and ends scheduled on the second attempt', async () => {
    const reminder = await newReminder();
    const bodies: unknown[] = [];
    expectCreate(reminder, bodies).reply(503, 'unavailable');
    expectCreate(reminder, bodies).reply(200, { id: 'os-after-503' });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status === 'scheduled',
    );
    expect(row).toMatchObject({ onesignal_id: 'os-after-503', attempts: 2, last_error: null });
    // Both attempts carried the same idempotency key: OneSignal shows one notification.
    expect(bodies).toEqual([expectedBody(reminder), expectedBody(reminder)]);
  });

  it('fails at once on another 4xx (one attempt, no retry)', async () => {
    const reminder = await newReminder();
    const scope = expectCreate(reminder).reply(400, { errors: ['app_id not found'] });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status !== 'pending',
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.last_error).toContain('HTTP 400');
    scope.done();
    // The row is final before BullMQ records the job as failed: wait for that.
    const job = await app.deps.queues.of(remindersQueue).getJob(jobIdFor(scheduleReminderJob, reminder.id));
    expect(
      await waitFor(
        () => job!.getState(),
        (state) => state === 'failed',
        5000,
      ),
    ).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
  });

  it('keeps a reminder more than 30 days ahead in BullMQ until it is within 30 days, without calling OneSignal', async () => {
    const sendAfter = new Date(Date.now() + 45 * 24 * 3600_000);
    const reminder = await newReminder({ send_after: sendAfter });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    const job = await waitFor(
      () => app.deps.queues.of(remindersQueue).getJob(jobIdFor(scheduleReminderJob, reminder.id)),
      (j) => j !== undefined && j.delay > 0,
    );
    expect(await job!.getState()).toBe('delayed');
    expect(job!.timestamp + job!.delay).toBeGreaterThanOrEqual(
      sendAfter.getTime() - 30 * 24 * 3600_000 - 5000,
    );
    expect((await reminderRow(reminder.id)).status).toBe('pending');
  });
});

describe('schedule job (processor on a given attempt)', () => {
  it('ends failed after the last attempt of 5xx answers', async () => {
    const reminder = await newReminder();
    expectCreate(reminder).reply(500, 'boom');
    await expect(processScheduleReminder(fakeJob(reminder.id, 7, 8), context())).rejects.toThrow('HTTP 500');
    expect(await reminderRow(reminder.id)).toMatchObject({
      status: 'failed',
      attempts: 8,
      last_error: 'HTTP 500: boom',
    });
  });

  it('treats a timeout as retryable, and the retry sends the same idempotency key', async () => {
    const reminder = await newReminder();
    const bodies: unknown[] = [];
    // The fault: OneSignal answers after the client's 100 ms timeout.
    expectCreate(reminder, bodies).delay(500).reply(200, { id: 'late' });
    await expect(processScheduleReminder(fakeJob(reminder.id, 0), context(100))).rejects.toThrow(
      /ETIMEDOUT|timeout/i,
    );
    expect(await reminderRow(reminder.id)).toMatchObject({ status: 'pending', attempts: 1 });
    expectCreate(reminder, bodies).reply(200, { id: 'os-same-notification' });
    await processScheduleReminder(fakeJob(reminder.id, 1), context(100));
    // And again, as the sweeper might: the row is scheduled, so nothing is sent.
    await processScheduleReminder(fakeJob(reminder.id, 0), context(100));
    expect(bodies).toHaveLength(2);
    expect((bodies as Array<{ idempotency_key: string }>).map((b) => b.idempotency_key)).toEqual([
      reminder.id,
      reminder.id,
    ]);
    expect(
      await app.deps.knex('reminders').where({ id: reminder.id, status: 'scheduled' }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
  });

  it('retries a 200 it cannot read (it may have been created)', async () => {
    const reminder = await newReminder();
    expectCreate(reminder).reply(200, '<html>not json</html>');
    await expect(processScheduleReminder(fakeJob(reminder.id), context())).rejects.toThrow(
      'unreadable 200 response',
    );
    expect((await reminderRow(reminder.id)).status).toBe('pending');
  });

  it('skips an expired reminder without calling OneSignal', async () => {
    const reminder = await newReminder({ send_after: new Date(Date.now() - 1000) });
    await processScheduleReminder(fakeJob(reminder.id), context());
    expect(await reminderRow(reminder.id)).toMatchObject({
      status: 'skipped',
      status_reason: 'expired',
      attempts: 0,
    });
  });

  it('skips with not_configured when OneSignal is not configured', async () => {
    const reminder = await newReminder();
    await processScheduleReminder(fakeJob(reminder.id), { ...workerContextFor(app), onesignal: undefined });
    expect(await reminderRow(reminder.id)).toMatchObject({
      status: 'skipped',
      status_reason: 'not_configured',
      attempts: 0,
    });
  });
});

describe('cancel', () => {
  async function requestCancel(reminderId: string): Promise<void> {
    await commitThenDispatch(app.deps.knex, app.deps.dispatcher, (trx, jobs) =>
      withdrawReminder(trx, reminderId, 'replanned', jobs),
    );
  }

  function expectDelete(onesignalId: string) {
    return nock(ONESIGNAL, { reqheaders: { authorization: `Key ${REST_KEY}` } })
      .delete(`/notifications/${onesignalId}`)
      .query({ app_id: APP_ID });
  }

  it('of a reminder never handed over: cancelled at once, OneSignal never called', async () => {
    const reminder = await newReminder();
    await requestCancel(reminder.id);
    expect(await reminderRow(reminder.id)).toMatchObject({ status: 'cancelled', status_reason: 'replanned' });
    // A schedule job still queued for it does nothing (nock would refuse any call).
    await processScheduleReminder(fakeJob(reminder.id), context());
    expect((await reminderRow(reminder.id)).status).toBe('cancelled');
  });

  it('of a scheduled reminder: DELETE at OneSignal with app_id, then cancelled', async () => {
    const reminder = await newReminder({
      status: 'scheduled',
      onesignal_id: 'os-to-cancel',
      schedule_sent_at: new Date(),
    });
    const scope = expectDelete('os-to-cancel').reply(200, { success: true });
    worker = await startTestWorker(app.config);
    await requestCancel(reminder.id);
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status === 'cancelled',
    );
    expect(row.status_reason).toBe('replanned');
    scope.done();
  });

  it.each([
    [404, 'already sent or unknown'],
    [400, 'already sent or unknown'],
  ])('treats %i from OneSignal as nothing left to cancel (terminal, recorded)', async (status, reason) => {
    const reminder = await newReminder({
      status: 'cancel_requested',
      onesignal_id: `os-gone-${status}`,
      schedule_sent_at: new Date(),
    });
    expectDelete(`os-gone-${status}`).reply(status, { errors: ['Notification not found'] });
    await processCancelReminder(fakeJob(reminder.id), context());
    const row = await reminderRow(reminder.id);
    expect(row.status).toBe('cancelled');
    expect(row.status_reason).toContain(reason);
  });

  it('says a 404 on a retry is most likely its own earlier delete, whose answer was lost', async () => {
    const reminder = await newReminder({
      status: 'cancel_requested',
      onesignal_id: 'os-gone-on-retry',
      schedule_sent_at: new Date(),
    });
    expectDelete('os-gone-on-retry').reply(404, { errors: ['Notification not found'] });
    await processCancelReminder(fakeJob(reminder.id, 1), context());
    expect(await reminderRow(reminder.id)).toMatchObject({
      status: 'cancelled',
      status_reason:
        "gone at OneSignal on a retry: an earlier attempt's delete went through unanswered, " +
        'or it was already sent (HTTP 404: {"errors":["Notification not found"]})',
    });
  });

  it('racing a schedule call still ends cancelled at OneSignal', async () => {
    const reminder = await newReminder();
    let releaseCreate: () => void = () => undefined;
    const createArrived = new Promise<void>((resolve) => {
      expectCreate(reminder).reply(async () => {
        resolve();
        await new Promise<void>((release) => (releaseCreate = release));
        return [200, { id: 'os-raced' }];
      });
    });
    const deleted = expectDelete('os-raced').reply(200, { success: true });
    worker = await startTestWorker(app.config);
    await enqueueSchedule(reminder);
    await createArrived; // the schedule call is in flight now
    await requestCancel(reminder.id);
    expect((await reminderRow(reminder.id)).status).toBe('cancel_requested');
    releaseCreate();
    const row = await waitFor(
      () => reminderRow(reminder.id),
      (r) => r.status === 'cancelled',
      30000,
    );
    expect(row.onesignal_id).toBe('os-raced');
    deleted.done();
  }, 40000);
});

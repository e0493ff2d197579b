import { cancelReminderJob, scheduleReminderJob } from '../../../src/reminders/jobs.js';
import { submitDentistChangeJob } from '../../../src/dentists/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JarvisClient } from '../../../src/shared/clients/jarvis.js';
import { OneSignalClient } from '../../../src/shared/clients/onesignal.js';
import { DEFAULT_JOB_OPTIONS, jobIdFor, type JobDefinition } from '../../../src/shared/jobs/queues.js';
import { MAX_FREE_RATE_LIMIT_WAITS } from '../../../src/shared/jobs/attempts.js';
import { LOST_CALL_NOTE, NO_TICKET_NOTE } from '../../../src/dentists/submit-change-job.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import {
  createDentist,
  createDentistChangeRequest,
  createReminder,
  createUser,
} from '../../support/factories.js';
import { waitFor } from '../../support/jobs.js';
import { startTestWorker } from '../../support/worker.js';
import { FaultyUpstream, type Fault, type UpstreamCall } from '../../support/faulty-upstream.js';

// The whole picture of docs/reminders.md and docs/dentists.md#jarvis under upstream faults, in one table: each
// outbound call (OneSignal schedule and cancel, Jarvis submit) × each fault, once
// (the call after it succeeds) and for ever. A real worker runs the jobs against a
// loopback OneSignal + Jarvis (real sockets: a reset is a TCP reset, a timeout the
// client's own timer). Per-answer details (4xx, 409 after a lost call, races, the
// seed's byte-exact bodies) are in reminders/onesignal-jobs and dentists/jarvis-jobs.

const APP_ID = 'faults-app-id';
const REST_KEY = 'faults-rest-key';
const JARVIS_KEY = 'faults-jarvis-key';
const DENTIST_ID = 42;
/** The clients' timeout here (10 s in production): a `timeout` fault holds its answer longer. */
const CLIENT_TIMEOUT_MS = 300;
const ATTEMPTS = DEFAULT_JOB_OPTIONS.attempts!;

const upstream = new FaultyUpstream();
let app: TestApp;
let workers: Array<Awaited<ReturnType<typeof startTestWorker>>> = [];

beforeAll(async () => {
  await upstream.start();
  app = await startTestApp({
    env: {
      ONESIGNAL_APP_ID: APP_ID,
      ONESIGNAL_REST_API_KEY: REST_KEY,
      ONESIGNAL_API_URL: upstream.url,
      JARVIS_API_URL: upstream.url,
      JARVIS_API_KEY: JARVIS_KEY,
    },
  });
  await createDentist(app.deps.knex, { id: DENTIST_ID });
  // Two workers, as production scales out: a 429's pause must hold for both.
  workers = [await startTestWorker(app.config), await startTestWorker(app.config)];
  for (const worker of workers) {
    // The processors use this context object; only the clients' timeout differs from production.
    worker.context.onesignal = new OneSignalClient({
      apiUrl: upstream.url,
      appId: APP_ID,
      apiKey: REST_KEY,
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    worker.context.jarvis = new JarvisClient({
      apiUrl: upstream.url,
      apiKey: JARVIS_KEY,
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
  }
}, 60000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await app?.close();
  await upstream.stop();
});

type Operation = 'schedule' | 'cancel' | 'submit';
type Row = Record<string, unknown>;

/** What one job acts on: its row, and the key the upstream knows its calls by. */
interface Subject {
  job: JobDefinition;
  table: 'reminders' | 'dentist_change_requests';
  rowId: string;
  key: string;
  /** The one request every attempt sends, exactly. */
  expectRequest(call: UpstreamCall): void;
  /** The row left in a final state. */
  settled(row: Row): boolean;
}

async function newSubject(operation: Operation): Promise<Subject> {
  const user = await createUser(app.deps.knex);
  if (operation === 'schedule') {
    const reminder = await createReminder(app.deps.knex, { user_id: user.id });
    return {
      job: scheduleReminderJob,
      table: 'reminders',
      rowId: reminder.id,
      key: reminder.id,
      expectRequest: (call) => {
        expect(call).toMatchObject({
          method: 'POST',
          rawUrl: '/notifications',
          headers: {
            authorization: `Key ${REST_KEY}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
        });
        expect(JSON.parse(call.rawBody)).toEqual({
          app_id: APP_ID,
          include_aliases: { external_id: [user.cognito_sub] },
          target_channel: 'push',
          headings: { en: 'Progress Reminder' },
          contents: { en: 'Today is the day to switch to aligner 2' },
          send_after: reminder.send_after.toISOString(),
          data: { notification_id: reminder.id, type: 'progress' },
          idempotency_key: reminder.id,
        });
      },
      settled: (row) => row.status !== 'pending',
    };
  }
  if (operation === 'cancel') {
    const onesignalId = `os-live-${randomUUID()}`;
    upstream.seedNotification(onesignalId);
    const reminder = await createReminder(app.deps.knex, {
      user_id: user.id,
      status: 'cancel_requested',
      onesignal_id: onesignalId,
      schedule_sent_at: new Date(),
    });
    return {
      job: cancelReminderJob,
      table: 'reminders',
      rowId: reminder.id,
      key: onesignalId,
      expectRequest: (call) => {
        expect(call).toMatchObject({
          method: 'DELETE',
          rawUrl: `/notifications/${onesignalId}?app_id=${APP_ID}`,
          headers: { authorization: `Key ${REST_KEY}`, accept: 'application/json' },
          rawBody: '',
        });
      },
      settled: (row) => row.status !== 'cancel_requested',
    };
  }
  const request = await createDentistChangeRequest(app.deps.knex, {
    user_id: user.id,
    dentist_id: DENTIST_ID,
  });
  return {
    job: submitDentistChangeJob,
    table: 'dentist_change_requests',
    rowId: request.id,
    key: user.email,
    expectRequest: (call) => {
      expect(call).toMatchObject({
        method: 'POST',
        rawUrl: `/api/smilewhite_app/customer/change-dentist/${encodeURIComponent(user.email)}/`,
        headers: {
          authorization: `Api-Key ${JARVIS_KEY}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        rawBody: `{"assigned_dentist": ${DENTIST_ID}}`,
      });
    },
    settled: (row) => row.status !== 'pending',
  };
}

const readRow = (subject: Subject) =>
  app.deps.knex(subject.table).where({ id: subject.rowId }).first() as Promise<Row>;

/**
 * Runs the subject's job to its end: the row final and the job finished in BullMQ
 * (completed jobs are removed; failed ones stay). `fastBackoff` keeps the attempts and
 * shortens the backoff, so eight attempts take a second instead of four minutes.
 */
async function runToTheEnd(subject: Subject, options: { fastBackoff: boolean }, timeoutMs: number) {
  const queue = app.deps.queues.of(subject.job);
  if (options.fastBackoff)
    await queue.add(
      subject.job.name,
      { rowId: subject.rowId },
      { jobId: jobIdFor(subject.job, subject.rowId), backoff: { type: 'fixed', delay: 20 } },
    );
  else await app.deps.dispatcher.dispatch([{ job: subject.job, rowId: subject.rowId }]);
  const row = await waitFor(() => readRow(subject), subject.settled, timeoutMs);
  const state = await waitFor(
    () => queue.getJobState(jobIdFor(subject.job, subject.rowId)),
    (value) => value === 'unknown' || value === 'failed' || value === 'completed',
    timeoutMs,
  );
  const job = await queue.getJob(jobIdFor(subject.job, subject.rowId));
  const calls = upstream.callsFor(subject.key);
  for (const call of calls) subject.expectRequest(call);
  return { row, state, attemptsMade: job?.attemptsMade, calls };
}

interface Expected {
  /** Exactly how many calls reached the upstream. */
  calls: number;
  row: (subject: Subject) => Row;
  lastError?: RegExp;
  /** The first calls each waited Retry-After (1 s) after the one before. */
  retryAfterWaits?: number;
}

const scheduled = (attempts: number) => (subject: Subject) => ({
  status: 'scheduled',
  onesignal_id: `os-${subject.rowId}`,
  attempts,
  last_error: null,
});
const cancelled = (statusReason: RegExp | null) => () => ({
  status: 'cancelled',
  status_reason: statusReason === null ? null : expect.stringMatching(statusReason),
});
const submitted = (ticket: boolean, note: string | null, attempts: number) => () => ({
  status: 'submitted',
  jarvis_ticket_id: ticket ? expect.stringMatching(/^T-\d+$/) : null,
  note,
  attempts,
});
const failed =
  (extra: Row = {}) =>
  () => ({ status: 'failed', ...extra });

const TIMED_OUT = new RegExp(`^ETIMEDOUT: Timeout awaiting 'request' for ${CLIENT_TIMEOUT_MS}ms$`);
const RESET = /^ECONNRESET: read ECONNRESET$/;
// The retry's 404 is the first attempt's delete, which went through unanswered.
const GONE_ON_RETRY = /^gone at OneSignal on a retry: an earlier attempt's delete went through unanswered/;
const FREE_429_THEN_ATTEMPTS = MAX_FREE_RATE_LIMIT_WAITS + ATTEMPTS;

/**
 * The matrix. `once`: the fault hits the first call only. `always`: every call, for
 * ever (`null`: the first answer is already final, so there is nothing to repeat).
 */
const MATRIX: Array<{ operation: Operation; fault: Fault; once: Expected; always: Expected | null }> = [
  // OneSignal: schedule (POST /notifications). The retry carries the same idempotency
  // key, so a call that went through before its answer was lost is found again, not doubled.
  {
    operation: 'schedule',
    fault: '500',
    once: { calls: 2, row: scheduled(2) },
    always: {
      calls: ATTEMPTS,
      row: failed({ attempts: ATTEMPTS }),
      lastError: /^HTTP 500: upstream exploded$/,
    },
  },
  {
    operation: 'schedule',
    fault: '429',
    once: { calls: 2, row: scheduled(1) }, // waited Retry-After without spending an attempt
    always: {
      calls: FREE_429_THEN_ATTEMPTS,
      row: failed({ attempts: ATTEMPTS }),
      lastError: /^HTTP 429: still rate limited after \d+ waits$/,
      retryAfterWaits: MAX_FREE_RATE_LIMIT_WAITS,
    },
  },
  {
    operation: 'schedule',
    fault: 'timeout',
    once: { calls: 2, row: scheduled(2) },
    always: { calls: ATTEMPTS, row: failed({ attempts: ATTEMPTS }), lastError: TIMED_OUT },
  },
  {
    operation: 'schedule',
    fault: 'reset',
    once: { calls: 2, row: scheduled(2) },
    always: { calls: ATTEMPTS, row: failed({ attempts: ATTEMPTS }), lastError: RESET },
  },
  {
    operation: 'schedule',
    fault: 'malformed',
    once: { calls: 2, row: scheduled(2) },
    always: {
      calls: ATTEMPTS,
      row: failed({ attempts: ATTEMPTS }),
      lastError: /^unreadable 200 response$/,
    },
  },
  // OneSignal: cancel (DELETE /notifications/{id}). A delete whose answer was lost did
  // its work: the retry's 404 ends it cancelled, recorded as such.
  {
    operation: 'cancel',
    fault: '500',
    once: { calls: 2, row: cancelled(null) },
    always: { calls: ATTEMPTS, row: failed(), lastError: /^HTTP 500: upstream exploded$/ },
  },
  {
    operation: 'cancel',
    fault: '429',
    once: { calls: 2, row: cancelled(null) },
    always: {
      calls: FREE_429_THEN_ATTEMPTS,
      row: failed(),
      lastError: /^HTTP 429: still rate limited after \d+ waits$/,
      retryAfterWaits: MAX_FREE_RATE_LIMIT_WAITS,
    },
  },
  {
    operation: 'cancel',
    fault: 'timeout',
    once: { calls: 2, row: cancelled(GONE_ON_RETRY) },
    always: { calls: ATTEMPTS, row: failed(), lastError: TIMED_OUT },
  },
  {
    operation: 'cancel',
    fault: 'reset',
    once: { calls: 2, row: cancelled(GONE_ON_RETRY) },
    always: { calls: ATTEMPTS, row: failed(), lastError: RESET },
  },
  {
    operation: 'cancel',
    fault: 'malformed',
    once: { calls: 1, row: cancelled(null) }, // a 2xx is enough: the body is not read
    always: null,
  },
  // Jarvis: submit. 429 is retried with the job's backoff (no rate limiter for Jarvis).
  // A call whose answer was lost most likely went through: the retry's 409 ends it
  // submitted, with no ticket id and a note (docs/dentists.md#jarvis).
  {
    operation: 'submit',
    fault: '500',
    once: { calls: 2, row: submitted(true, null, 2) },
    always: {
      calls: ATTEMPTS,
      row: failed({ attempts: ATTEMPTS }),
      lastError: /^HTTP 500: upstream exploded$/,
    },
  },
  {
    operation: 'submit',
    fault: '429',
    once: { calls: 2, row: submitted(true, null, 2) },
    always: { calls: ATTEMPTS, row: failed({ attempts: ATTEMPTS }), lastError: /^HTTP 429: / },
  },
  {
    operation: 'submit',
    fault: 'timeout',
    once: { calls: 2, row: submitted(false, LOST_CALL_NOTE, 2) },
    always: { calls: ATTEMPTS, row: failed({ attempts: ATTEMPTS }), lastError: TIMED_OUT },
  },
  {
    operation: 'submit',
    fault: 'reset',
    once: { calls: 2, row: submitted(false, LOST_CALL_NOTE, 2) },
    always: { calls: ATTEMPTS, row: failed({ attempts: ATTEMPTS }), lastError: RESET },
  },
  {
    operation: 'submit',
    fault: 'malformed',
    once: { calls: 1, row: submitted(false, NO_TICKET_NOTE, 1) }, // accepted; retrying would earn a 409
    always: null,
  },
];

describe.each(['schedule', 'cancel', 'submit'] as const)('%s', (operation) => {
  const rows = MATRIX.filter((entry) => entry.operation === operation);

  it.each(rows.map((entry) => [entry.fault, entry] as const))(
    '%s once: retried with the production backoff, then final',
    async (fault, entry) => {
      const subject = await newSubject(operation);
      upstream.failNext(subject.key, fault, 1);
      const result = await runToTheEnd(subject, { fastBackoff: false }, 20000);
      expect(result.row).toMatchObject(entry.once.row(subject));
      expect(result.calls.map((call) => call.fault)).toEqual([
        fault,
        ...Array(entry.once.calls - 1).fill(undefined),
      ]);
      // Completed: removed from Redis, nothing left to run.
      expect(result.state).toBe('unknown');
      // A retry waits: backoff from 2 s with jitter (≥ 1 s), or Retry-After: 1; never at once.
      const gaps = result.calls.slice(1).map((call, index) => call.at - result.calls[index]!.at);
      expect(gaps.filter((gap) => gap < 900)).toEqual([]);
    },
    30000,
  );

  it.each(rows.filter((entry) => entry.always).map((entry) => [entry.fault, entry.always!] as const))(
    '%s for ever: a bounded number of calls, then failed',
    async (fault, expected) => {
      const subject = await newSubject(operation);
      upstream.failNext(subject.key, fault, Infinity);
      const result = await runToTheEnd(subject, { fastBackoff: true }, 40000);
      expect(result.row).toMatchObject(expected.row(subject));
      expect(result.row.last_error).toMatch(expected.lastError!);
      expect(result.calls).toHaveLength(expected.calls);
      expect(result.state).toBe('failed');
      expect(result.attemptsMade).toBe(ATTEMPTS);
      const gaps = result.calls.slice(1).map((call, index) => call.at - result.calls[index]!.at);
      for (const gap of gaps.slice(0, expected.retryAfterWaits ?? 0)) expect(gap).toBeGreaterThanOrEqual(900);
    },
    60000,
  );
});

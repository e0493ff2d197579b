import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOST_CALL_NOTE } from '../../src/dentists/submit-change-job.js';
import { JarvisStub } from '../support/stubs/jarvis-stub.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { HoldingProxy } from '../support/holding-proxy.js';
import { startStack, type Stack } from '../support/processes.js';
import { callApi, createUser, query, stalledJobIds } from '../support/traffic.js';
import { waitFor } from '../support/jobs.js';

// A worker process killed (SIGKILL) while its jobs are mid-call; a second worker
// process finishes them after the stall interval (docs/reminders.md, docs/dentists.md#jarvis, docs/dispatch.md). The stubs answer
// through a proxy that holds the answers back, so the jobs are active when the kill
// lands, and the first calls have reached OneSignal and Jarvis: the answers are lost.
const onesignal = new OneSignalStub();
const jarvis = new JarvisStub();
const onesignalProxy = new HoldingProxy(() => onesignal.url);
const jarvisProxy = new HoldingProxy(() => jarvis.url);
const INTERNAL_KEY = 'e2e-crash-internal-key';
const DENTIST_ID = 42;
let stack: Stack;

beforeAll(async () => {
  await Promise.all([onesignal.start(), jarvis.start()]);
  await Promise.all([onesignalProxy.start(), jarvisProxy.start()]);
  stack = await startStack({
    INTERNAL_API_KEYS: INTERNAL_KEY,
    ONESIGNAL_APP_ID: 'e2e-app',
    ONESIGNAL_REST_API_KEY: 'e2e-rest-key',
    ONESIGNAL_API_URL: onesignalProxy.url,
    JARVIS_API_URL: jarvisProxy.url,
    JARVIS_API_KEY: 'e2e-jarvis-key',
    // Short locks, so a dead worker's jobs are taken over in seconds rather than a minute.
    WORKER_LOCK_DURATION_MS: '4000',
    WORKER_STALLED_INTERVAL_MS: '2000',
  });
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([onesignalProxy.stop(), jarvisProxy.stop()]);
  await Promise.all([onesignal.stop(), jarvis.stop()]);
});

interface ReminderRow {
  id: string;
  user_id: string;
  status: string;
  onesignal_id: string | null;
  schedule_sent_at: Date | null;
}
interface RequestRow {
  id: string;
  status: string;
  jarvis_ticket_id: string | null;
  note: string | null;
  submit_attempted_at: Date | null;
}

describe('a worker killed mid-job (SIGKILL)', () => {
  it('a second worker completes its jobs after the stall interval, each external effect once', async () => {
    const reminderUsers = 4;
    const dentistUsers = 3;
    onesignalProxy.hold();
    jarvisProxy.hold();

    const put = await callApi(stack.base, 'PUT', `/internal/dentists/${DENTIST_ID}`, {
      apiKey: INTERNAL_KEY,
      json: { name: 'Dr Crash', practice_name: 'Harbour Dental', city: 'Plymouth' },
    });
    expect(put.status).toBe(201);
    // All at once: the first calls must still be held (well within the clients' 10 s
    // timeout) when the worker is killed.
    const [users, requests] = await Promise.all([
      Promise.all(
        Array.from({ length: reminderUsers }, (_, i) => createUser(stack.base, `crash-reminder-${i}`)),
      ),
      Promise.all(
        Array.from({ length: dentistUsers }, async (_, i) => {
          const user = await createUser(stack.base, `crash-dentist-${i}`, { treatment: false });
          return callApi(stack.base, 'POST', `${user.path}/dentist-change-requests`, {
            token: user.token,
            json: { dentist_id: DENTIST_ID },
          });
        }),
      ),
    ]);
    expect(requests.map((created) => created.status)).toEqual(Array(dentistUsers).fill(202));
    const requestIds = requests.map((created) => created.body.id as string);

    // Every call has reached its stub (OneSignal created the notification, Jarvis opened
    // the ticket); every answer is held: the jobs are active in the first worker.
    await waitFor(
      async () => [onesignalProxy.held, jarvisProxy.held],
      ([reminders, requests]) => reminders === reminderUsers && requests === dentistUsers,
      20000,
      'calls held at the stubs',
    );
    const reminders = await query<ReminderRow>(
      stack.databaseUrl,
      "select * from reminders where type = 'progress' order by created_at",
    );
    expect(reminders).toHaveLength(reminderUsers);
    for (const row of reminders) expect(row).toMatchObject({ status: 'pending', onesignal_id: null });
    for (const row of reminders) expect(row.schedule_sent_at).not.toBeNull();
    const pendingRequests = await query<RequestRow>(
      stack.databaseUrl,
      'select * from dentist_change_requests',
    );
    for (const row of pendingRequests) expect(row.status).toBe('pending');
    for (const row of pendingRequests) expect(row.submit_attempted_at).not.toBeNull();

    stack.worker.child.kill('SIGKILL');
    expect(await stack.worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The connections of the dead worker are closed: its answers can no longer arrive.
    await waitFor(
      async () => [onesignalProxy.abandoned, jarvisProxy.abandoned],
      ([reminders, requests]) => reminders === reminderUsers && requests === dentistUsers,
      10000,
      'connections of the killed worker closed',
    );
    onesignalProxy.release();
    jarvisProxy.release();
    const second = await stack.startWorker();

    const settled = await waitFor(
      async () => ({
        reminders: await query<ReminderRow>(
          stack.databaseUrl,
          "select * from reminders where type = 'progress' order by created_at",
        ),
        requests: await query<RequestRow>(stack.databaseUrl, 'select * from dentist_change_requests'),
      }),
      ({ reminders: r, requests: q }) =>
        r.every((row) => row.status !== 'pending') && q.every((row) => row.status !== 'pending'),
      45000,
      'jobs finished by the second worker',
    );

    // The second worker took them over as stalled jobs (not the sweeper, not a retry).
    const stalled = [
      ...(await stalledJobIds(stack.queuePrefix, 'reminders')),
      ...(await stalledJobIds(stack.queuePrefix, 'dentist-requests')),
    ];
    for (const row of reminders) expect(stalled).toContain(`schedule-reminder-${row.id}`);
    for (const id of requestIds) expect(stalled).toContain(`submit-dentist-change-${id}`);

    // OneSignal: the retried create carried the same idempotency key, so it found the
    // same notification; the row is scheduled once, with that one id.
    for (const row of settled.reminders) {
      const creates = onesignal.creates().filter((call) => keyOf(call.body) === row.id);
      expect(creates).toHaveLength(2);
      const answers = onesignalProxy.calls.filter((call) => keyOf(parse(call.body)) === row.id);
      expect(answers.map((call) => call.delivered)).toEqual([false, true]);
      const ids = new Set(answers.map((call) => (parse(call.answer) as { id: string }).id));
      expect(ids.size).toBe(1);
      expect(row).toMatchObject({ status: 'scheduled', onesignal_id: [...ids][0] });
    }
    expect(onesignal.cancels()).toHaveLength(0);
    expect(new Set(settled.reminders.map((row) => row.onesignal_id)).size).toBe(reminderUsers);

    // Jarvis: the lost call opened the ticket; the retry got 409, which answers our own
    // call: submitted, with no ticket id and the note (docs/dentists.md#jarvis), never already_pending.
    for (const row of settled.requests) {
      const email = (
        await query<{ email: string }>(
          stack.databaseUrl,
          'select u.email from users u join dentist_change_requests r on r.user_id = u.id where r.id = $1',
          [row.id],
        )
      )[0]!.email;
      const calls = jarvisProxy.calls.filter((call) => call.path.includes(encodeURIComponent(email)));
      expect(calls.map((call) => [call.status, call.delivered])).toEqual([
        [200, false],
        [409, true],
      ]);
      expect(row).toMatchObject({ status: 'submitted', jarvis_ticket_id: null, note: LOST_CALL_NOTE });
    }
    expect(jarvis.calls).toHaveLength(2 * dentistUsers);

    // As the app sees it.
    const user = users[0]!;
    const listed = await callApi(stack.base, 'GET', `${user.path}/notifications?type=progress`, {
      token: user.token,
    });
    expect(listed.body.items.map((item: { status: string }) => item.status)).toEqual(['scheduled']);
    expect(second.child.exitCode).toBeNull();
  }, 90000);

  it('a reminder withdrawn while the killed worker’s call was in flight still ends cancelled at OneSignal', async () => {
    // The second worker of the first test is the one killed here.
    const [, worker] = stack.workers;
    onesignalProxy.hold();
    const user = await createUser(stack.base, 'crash-cancel-user');
    await waitFor(
      async () => onesignalProxy.held,
      (held) => held === 1,
      20000,
      'create held',
    );
    const [old] = await query<ReminderRow>(
      stack.databaseUrl,
      "select r.* from reminders r join users u on u.id = r.user_id where u.cognito_sub = $1 and r.type = 'progress'",
      [user.sub],
    );
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    await waitFor(
      async () => onesignalProxy.abandoned,
      (n) => n === 1,
      10000,
      'caller gone',
    );
    onesignalProxy.release();
    const lost = onesignalProxy.calls.find((call) => keyOf(parse(call.body)) === old!.id)!;
    const createdAtOneSignal = (parse(lost.answer) as { id: string }).id;

    // While no worker runs, the user moves to the next aligner: the old reminder, whose
    // call may have created a notification, must be deleted at OneSignal.
    const changed = await callApi(stack.base, 'POST', `${user.path}/treatment/aligner-changes`, {
      token: user.token,
      json: {},
    });
    expect(changed.status).toBe(201);
    expect(
      (await query<ReminderRow>(stack.databaseUrl, 'select * from reminders where id = $1', [old!.id]))[0],
    ).toMatchObject({ status: 'cancel_requested', onesignal_id: null });

    await stack.startWorker();
    const rows = await waitFor(
      () =>
        query<ReminderRow>(
          stack.databaseUrl,
          "select r.* from reminders r join users u on u.id = r.user_id where u.cognito_sub = $1 and r.type = 'progress' order by r.created_at",
          [user.sub],
        ),
      (r) =>
        r.length === 2 &&
        r.every((row) => ['cancelled', 'scheduled', 'failed', 'skipped'].includes(row.status)),
      60000,
      'both reminders settled',
    );
    expect(rows.map((row) => row.status)).toEqual(['cancelled', 'scheduled']);
    expect(rows[0]!.onesignal_id).toBe(createdAtOneSignal);
    const deletes = onesignal
      .cancels()
      .filter((call) => call.path === `/notifications/${createdAtOneSignal}`);
    expect(deletes).toHaveLength(1);
    expect(onesignal.creates().filter((call) => keyOf(call.body) === rows[1]!.id)).toHaveLength(1);
  }, 90000);
});

function parse(raw: string | undefined): unknown {
  return raw ? JSON.parse(raw) : undefined;
}

function keyOf(body: unknown): unknown {
  return (body as { idempotency_key?: unknown } | undefined)?.idempotency_key;
}

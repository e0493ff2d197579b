import { dentistRequestsQueue, submitDentistChangeJob } from '../../../src/dentists/jobs.js';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import nock from 'nock';
import { JarvisClient } from '../../../src/shared/clients/jarvis.js';
import type { DentistChangeRequest } from '../../../src/dentists/change-request-model.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import {
  LOST_CALL_NOTE,
  NO_TICKET_NOTE,
  processSubmitDentistChange,
} from '../../../src/dentists/submit-change-job.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createDentist, createDentistChangeRequest, createUser } from '../../support/factories.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { startTestWorker, workerContextFor } from '../../support/worker.js';

// The seed's Jarvis call (docs/dentists.md#jarvis), asserted byte for byte, and what each answer leaves.
const JARVIS = 'https://jarvis.test';
const API_KEY = 'jarvis-api-key-secret';
const DENTIST_ID = 42;
const PATH_PREFIX = '/api/smilewhite_app/customer/change-dentist/';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;

beforeAll(async () => {
  app = await startTestApp({ env: { JARVIS_API_URL: JARVIS, JARVIS_API_KEY: API_KEY } });
  await createDentist(app.deps.knex, { id: DENTIST_ID, name: 'Dr Forty-Two' });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => app.close());

const row = (id: string) =>
  app.deps.knex('dentist_change_requests').where({ id }).first() as Promise<DentistChangeRequest>;

/** A worker context whose Jarvis client gives up after `timeoutMs`, or calls another URL. */
const context = (settings: { timeoutMs?: number; apiUrl?: string } = {}) => ({
  ...workerContextFor(app),
  jarvis: new JarvisClient({
    apiUrl: settings.apiUrl ?? JARVIS,
    apiKey: API_KEY,
    ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
  }),
});

/** A pending request of a user of its own (one open request per user is a constraint). */
async function newRequest(email?: string, overrides: Partial<DentistChangeRequest> = {}) {
  const user = await createUser(app.deps.knex, email ? { email } : {});
  return createDentistChangeRequest(app.deps.knex, {
    user_id: user.id,
    dentist_id: DENTIST_ID,
    ...overrides,
  });
}

interface SentCall {
  path: string;
  rawBody: string;
  headers: Record<string, unknown>;
}

/** The next change-dentist call, whatever the email; `sent` gets exactly what was sent. */
function changeDentist(sent: SentCall[] = []) {
  const scope = nock(JARVIS);
  scope.on('request', (req: { path: string; headers: Record<string, unknown> }, _interceptor, body: string) =>
    sent.push({ path: req.path, rawBody: body, headers: req.headers }),
  );
  return scope.post((path) => path.startsWith(PATH_PREFIX));
}

async function enqueue(id: string) {
  await app.deps.dispatcher.dispatch([{ job: submitDentistChangeJob, rowId: id }]);
}

async function settled(id: string) {
  return waitFor(
    () => row(id),
    (r) => r.status !== 'pending',
  );
}

describe('the request sent to Jarvis', () => {
  it.each([
    ["o'brien+aligners@example.co.uk", "o'brien%2Baligners%40example.co.uk"],
    ['x&y=z+1@example.com', 'x%26y%3Dz%2B1%40example.com'],
    ['slash/and?hash#1@example.com', 'slash%2Fand%3Fhash%231%40example.com'],
    ['zoë.müller@example.de', 'zo%C3%AB.m%C3%BCller%40example.de'],
  ])('%s: the exact URL, Authorization header and body {"assigned_dentist": 42}', async (email, encoded) => {
    const request = await newRequest(email);
    const sent: SentCall[] = [];
    const scope = changeDentist(sent).reply(200, { ticket: { id: 'T-1001' } });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    expect(await settled(request.id)).toMatchObject({ status: 'submitted', jarvis_ticket_id: 'T-1001' });
    scope.done();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe(`${PATH_PREFIX}${encoded}/`);
    expect(sent[0]!.headers).toMatchObject({
      authorization: `Api-Key ${API_KEY}`,
      'content-type': 'application/json',
    });
    // The seed's bytes (Python's json.dumps), the id a JSON number, nothing else.
    expect(sent[0]!.rawBody).toBe('{"assigned_dentist": 42}');
    expect(JSON.parse(sent[0]!.rawBody)).toEqual({ assigned_dentist: 42 });
  });

  it('never logs the email, neither in the URL nor when Jarvis echoes it in an error', async () => {
    const email = 'private.person+x@example.org';
    const request = await newRequest(email);
    changeDentist().reply(400, { detail: `Customer ${email} has no active treatment` });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    const failed = await settled(request.id);
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toContain('HTTP 400');
    expect(failed.last_error).not.toContain(email);
    await waitFor(
      async () => worker!.logs.text(),
      (text) => text.includes('job attempt failed'),
    );
    expect(worker!.logs.text()).not.toContain('private.person');
    expect(worker!.logs.text()).not.toContain(encodeURIComponent(email));
  });
});

describe('each answer ends in its state (real worker)', () => {
  it('200 → submitted with the ticket id, after one attempt', async () => {
    const request = await newRequest();
    changeDentist().reply(200, { ticket: { id: 'T-2001', status: 'open' } });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    const done = await settled(request.id);
    expect(done).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: 'T-2001',
      attempts: 1,
      last_error: null,
      note: null,
    });
    expect(done.submit_attempted_at).toBeInstanceOf(Date);
  });

  it('200 with a numeric ticket id keeps it as text; 200 without one is still submitted, with a note', async () => {
    const numeric = await newRequest();
    const bare = await newRequest();
    changeDentist().reply(200, { ticket: { id: 77 } });
    await processSubmitDentistChange(fakeJob(numeric.id), context());
    expect(await row(numeric.id)).toMatchObject({ status: 'submitted', jarvis_ticket_id: '77' });
    changeDentist().reply(200, 'OK');
    await processSubmitDentistChange(fakeJob(bare.id), context());
    // Retrying a 200 would only earn a 409: the change went through.
    expect(await row(bare.id)).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: null,
      note: NO_TICKET_NOTE,
    });
  });

  it('another 2xx (201) is taken as accepted too: submitted, not retried into a 409', async () => {
    const request = await newRequest();
    changeDentist().reply(201, { ticket: { id: 'T-201' } });
    await processSubmitDentistChange(fakeJob(request.id), context());
    expect(await row(request.id)).toMatchObject({ status: 'submitted', jarvis_ticket_id: 'T-201' });
  });

  it('409 → already_pending, terminal and not retried', async () => {
    const request = await newRequest();
    const scope = changeDentist().reply(409, { detail: 'Dentist change already pending' });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    expect(await settled(request.id)).toMatchObject({
      status: 'already_pending',
      attempts: 1,
      jarvis_ticket_id: null,
      note: null,
    });
    expect((await row(request.id)).last_error).toContain('HTTP 409');
    scope.done();
    // Fixed on purpose: no retry may follow within this window.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(nock.pendingMocks()).toEqual([]);
    expect((await row(request.id)).attempts).toBe(1);
  });

  it.each([400, 404])('%i → failed at once: one attempt, the job is not retried', async (status) => {
    const request = await newRequest();
    const scope = changeDentist().reply(status, { detail: 'Not found.' });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    const failed = await settled(request.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.last_error).toContain(`HTTP ${status}`);
    scope.done();
    // The row is final before BullMQ records the job as failed: wait for that.
    const job = await app.deps.queues
      .of(dentistRequestsQueue)
      .getJob(jobIdFor(submitDentistChangeJob, request.id));
    expect(
      await waitFor(
        () => job!.getState(),
        (state) => state === 'failed',
        5000,
      ),
    ).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
  });

  it('500 → retried with backoff; a later 200 ends submitted', async () => {
    const request = await newRequest();
    changeDentist().reply(500, 'Internal Server Error');
    changeDentist().reply(200, { ticket: { id: 'T-after-500' } });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    const done = await waitFor(
      () => row(request.id),
      (r) => r.status !== 'pending',
      20000,
    );
    expect(done).toMatchObject({ status: 'submitted', jarvis_ticket_id: 'T-after-500', attempts: 2 });
  });
});

describe('retries (processor on a given attempt)', () => {
  it('500 → the attempt throws a retryable error; on the last attempt the request ends failed', async () => {
    const request = await newRequest();
    changeDentist().reply(503, 'unavailable');
    const first = processSubmitDentistChange(fakeJob(request.id, 0, 8), context());
    await expect(first).rejects.toThrow('HTTP 503');
    await expect(first).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(await row(request.id)).toMatchObject({ status: 'pending', attempts: 1 });
    // Jarvis answered: that call did nothing, so it is not an unanswered one.
    expect((await row(request.id)).submit_attempted_at).toBeNull();

    changeDentist().reply(500, 'boom');
    await expect(processSubmitDentistChange(fakeJob(request.id, 7, 8), context())).rejects.toThrow(
      'HTTP 500',
    );
    const failed = await row(request.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
    expect(failed.last_error).toContain('HTTP 500');
  });

  it('a timeout is retried: the row stays pending with the attempt recorded, and the retry submits', async () => {
    const request = await newRequest();
    // The fault: Jarvis answers after the client's 100 ms timeout.
    changeDentist()
      .delay(500)
      .reply(200, { ticket: { id: 'too-late' } });
    const attempt = processSubmitDentistChange(fakeJob(request.id, 0, 8), context({ timeoutMs: 100 }));
    await expect(attempt).rejects.toThrow(/ETIMEDOUT|timeout/i);
    await expect(attempt).rejects.not.toBeInstanceOf(UnrecoverableError);
    const waiting = await row(request.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
    expect(waiting.submit_attempted_at).toBeInstanceOf(Date);

    changeDentist().reply(200, { ticket: { id: 'T-retry' } });
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: 'T-retry',
      attempts: 2,
    });
  });

  it('a timeout on the last attempt ends failed', async () => {
    const request = await newRequest();
    // The fault: Jarvis answers after the client's 100 ms timeout.
    changeDentist().delay(500).reply(200, {});
    await expect(
      processSubmitDentistChange(fakeJob(request.id, 7, 8), context({ timeoutMs: 100 })),
    ).rejects.toThrow(/ETIMEDOUT|timeout/i);
    expect(await row(request.id)).toMatchObject({ status: 'failed' });
  });

  it('409 after a timed-out attempt → submitted with no ticket id and a note (our call most likely went through)', async () => {
    const request = await newRequest();
    // The fault: Jarvis answers after the client's 100 ms timeout.
    changeDentist()
      .delay(500)
      .reply(200, { ticket: { id: 'lost' } });
    await expect(
      processSubmitDentistChange(fakeJob(request.id, 0, 8), context({ timeoutMs: 100 })),
    ).rejects.toThrow(/ETIMEDOUT|timeout/i);

    changeDentist().reply(409, { detail: 'Dentist change already pending' });
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: null,
      note: LOST_CALL_NOTE,
      attempts: 2,
    });
  });

  it('409 after a worker crash mid-call (attempt recorded, no outcome) → submitted with the note', async () => {
    // What a crash leaves: the attempt recorded before sending, and nothing after.
    const request = await newRequest(undefined, {
      attempts: 1,
      submit_attempted_at: new Date(Date.now() - 60_000),
    });
    changeDentist().reply(409, { detail: 'Dentist change already pending' });
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({ status: 'submitted', note: LOST_CALL_NOTE, attempts: 2 });
  });

  it('409 after a lost call and then a 500 still counts the lost call', async () => {
    const request = await newRequest();
    // The fault: Jarvis answers after the client's 100 ms timeout.
    changeDentist().delay(500).reply(200, {});
    await expect(
      processSubmitDentistChange(fakeJob(request.id, 0, 8), context({ timeoutMs: 100 })),
    ).rejects.toThrow();
    changeDentist().reply(502, 'bad gateway');
    await expect(processSubmitDentistChange(fakeJob(request.id, 1, 8), context())).rejects.toThrow(
      'HTTP 502',
    );
    changeDentist().reply(409, {});
    await processSubmitDentistChange(fakeJob(request.id, 2, 8), context());
    expect(await row(request.id)).toMatchObject({ status: 'submitted', note: LOST_CALL_NOTE, attempts: 3 });
  });

  it('a 504 from a gateway is a timeout one hop further: a later 409 → submitted with the note', async () => {
    const request = await newRequest();
    changeDentist().reply(504, 'Gateway Timeout');
    await expect(processSubmitDentistChange(fakeJob(request.id, 0, 8), context())).rejects.toThrow(
      'HTTP 504',
    );
    expect((await row(request.id)).submit_attempted_at).toBeInstanceOf(Date);
    changeDentist().reply(409, {});
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({ status: 'submitted', note: LOST_CALL_NOTE });
  });

  it('409 after an answered 500 → already_pending (that call did nothing)', async () => {
    const request = await newRequest();
    changeDentist().reply(500, 'boom');
    await expect(processSubmitDentistChange(fakeJob(request.id, 0, 8), context())).rejects.toThrow(
      'HTTP 500',
    );
    changeDentist().reply(409, {});
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({ status: 'already_pending', note: null });
  });

  it('a refused connection never reached Jarvis: a later 409 is already_pending', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const request = await newRequest();
    await expect(
      processSubmitDentistChange(fakeJob(request.id, 0, 8), context({ apiUrl: `http://127.0.0.1:${port}` })),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect((await row(request.id)).submit_attempted_at).toBeNull();
    changeDentist().reply(409, {});
    await processSubmitDentistChange(fakeJob(request.id, 1, 8), context());
    expect(await row(request.id)).toMatchObject({ status: 'already_pending' });
  });
});

describe('runs that must send nothing', () => {
  it('a job run twice after a 200 sends one request: the second run sees submitted', async () => {
    const request = await newRequest();
    const sent: SentCall[] = [];
    const scope = changeDentist(sent).reply(200, { ticket: { id: 'T-once' } });
    await processSubmitDentistChange(fakeJob(request.id), context());
    const second = await processSubmitDentistChange(fakeJob(request.id), context());
    expect(second).toEqual({ skipped: 'submitted' });
    scope.done();
    expect(sent).toHaveLength(1);
    expect(await row(request.id)).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: 'T-once',
      attempts: 1,
    });
  });

  it('the same job enqueued twice (request retry, sweeper) with a real worker creates one ticket', async () => {
    const request = await newRequest();
    const sent: SentCall[] = [];
    changeDentist(sent).reply(200, { ticket: { id: 'T-dedup' } });
    worker = await startTestWorker(app.config);
    await enqueue(request.id);
    await enqueue(request.id);
    await settled(request.id);
    await enqueue(request.id);
    // Fixed on purpose: a second submission must not follow within this window.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sent).toHaveLength(1);
  });

  it('not configured → failed (not_configured), nothing sent', async () => {
    const request = await newRequest();
    const result = await processSubmitDentistChange(fakeJob(request.id), {
      ...workerContextFor(app),
      jarvis: undefined,
    });
    expect(result).toEqual({ status: 'failed' });
    expect(await row(request.id)).toMatchObject({
      status: 'failed',
      last_error: 'not_configured',
      attempts: 0,
    });
  });

  it('an account being erased → failed (account_erased), nothing sent', async () => {
    const request = await newRequest();
    await app.deps.knex('users').where({ id: request.user_id }).update({ deleted_at: new Date() });
    await processSubmitDentistChange(fakeJob(request.id), context());
    expect(await row(request.id)).toMatchObject({ status: 'failed', last_error: 'account_erased' });
  });

  it('a request completed or gone meanwhile is left alone', async () => {
    const completed = await newRequest(undefined, { status: 'completed' });
    expect(await processSubmitDentistChange(fakeJob(completed.id), context())).toEqual({
      skipped: 'completed',
    });
    expect(
      await processSubmitDentistChange(fakeJob('00000000-0000-4000-8000-000000000000'), context()),
    ).toEqual({ skipped: 'missing' });
  });

  it('an assignment that completes the request during the call wins over the 200', async () => {
    const request = await newRequest();
    changeDentist().reply(async () => {
      await app.deps
        .knex('dentist_change_requests')
        .where({ id: request.id })
        .update({ status: 'completed' });
      return [200, { ticket: { id: 'T-race' } }];
    });
    await processSubmitDentistChange(fakeJob(request.id), context());
    expect(await row(request.id)).toMatchObject({ status: 'completed', jarvis_ticket_id: null });
  });
});

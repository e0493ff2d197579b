import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hubspotEventsQueue } from '../../../src/hubspot/jobs.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

let contactSeq = 90_000 + Math.floor(Math.random() * 10_000);

/** Counts the statements storing deliveries while `work` runs. */
async function countingStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const listener = (query: { options?: { name?: string } }) => {
    if (query.options?.name === 'store_hubspot_deliveries') statements += 1;
  };
  app.deps.knex.on('query', listener);
  try {
    return { result: await work(), statements };
  } finally {
    app.deps.knex.off('query', listener);
  }
}

describe('POST /public/hubspot/webhooks: concurrent deliveries stored together', () => {
  it('stores 40 concurrent deliveries in fewer statements and jobs, each acknowledged for its own events', async () => {
    const objectId = ++contactSeq;
    const batches = Array.from({ length: 40 }, (_, i) => [
      hubspotEvent({ objectId, propertyName: `p${i}`, propertyValue: `${i}` }),
      hubspotEvent({ objectId, propertyName: `q${i}`, propertyValue: `${i}` }),
    ]);
    // Delivery 0 twice: its second copy is all duplicates, wherever it lands.
    const { result: responses, statements } = await countingStatements(() =>
      Promise.all([...batches, batches[0]!].map((batch) => deliver(app, batch))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(41).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      received: number;
      duplicates: number;
    }>;
    expect(bodies.slice(1, 40)).toEqual(Array(39).fill({ received: 2, duplicates: 0 }));
    expect([bodies[0], bodies[40]]).toEqual(
      expect.arrayContaining([
        { received: 2, duplicates: 0 },
        { received: 2, duplicates: 2 },
      ]),
    );
    expect(statements).toBeLessThan(41);
    const rows = (await app.deps
      .knex('hubspot_events')
      .where({ object_id: objectId })
      .select('id')) as Array<{
      id: string;
    }>;
    expect(rows).toHaveLength(80);
    // Every stored event is in exactly one job; fewer jobs than deliveries.
    const jobs = (
      await app.deps.queues.of(hubspotEventsQueue).getJobs(['waiting', 'delayed', 'active'])
    ).filter((job) =>
      (job.data.rowIds as string[] | undefined)?.some((id) => rows.some((row) => row.id === id)),
    );
    const enqueued = jobs.flatMap((job) => job.data.rowIds as string[]);
    expect(new Set(enqueued).size).toBe(80);
    expect(enqueued).toHaveLength(80);
    // A statement whose events were all duplicates enqueues nothing.
    expect(jobs.length).toBeLessThanOrEqual(statements);
  });

  it('one delivery Postgres refuses fails alone: the others of its group are stored and acknowledged', async () => {
    const objectId = ++contactSeq;
    const good = Array.from({ length: 9 }, (_, i) => [
      hubspotEvent({ objectId, propertyName: `p${i}`, propertyValue: `${i}` }),
    ]);
    // A lone surrogate escape: valid JSON, which jsonb cannot hold.
    const bad = JSON.stringify([hubspotEvent({ objectId, propertyName: 'bad', propertyValue: 'x' })]).replace(
      '"x"',
      '"\\ud800"',
    );
    const responses = await Promise.all(
      [...good.slice(0, 4), bad, ...good.slice(4)].map((b) => deliver(app, b)),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 422, 200, 200, 200, 200, 200]);
    expect(await app.deps.knex('hubspot_events').where({ object_id: objectId }).count({ n: '*' })).toEqual([
      { n: 9 },
    ]);
  });

  it('keeps a NUL in a value as U+FFFD and the event otherwise as sent, unknown fields included', async () => {
    const objectId = ++contactSeq;
    const event = hubspotEvent({
      objectId,
      propertyValue: 'a\u0000b',
      sourceId: 'userId:42',
      attemptNumber: 1.0,
    });
    expect((await deliver(app, [event])).status).toBe(200);
    const row = (await app.deps.knex('hubspot_events').where({ object_id: objectId }).first()) as {
      property_value: string;
      payload: Record<string, unknown>;
      event_id: string;
    };
    expect(row.property_value).toBe('a\uFFFDb');
    expect(row.payload).toEqual({ ...event, propertyValue: 'a\uFFFDb' });
    expect(Number(row.event_id)).toBe(event.eventId);
  });
});

import type { Request } from 'autocannon';
import { DateTime } from 'luxon';
import { developmentToken } from '../src/dev/development-token.js';
import { hubspotSignatureV3 } from '../src/hubspot/signature.js';
import { seededRandom } from './lib/random.js';

/** A seeded user the load can act as: their Cognito sub and IANA zone. */
export interface BenchUser {
  sub: string;
  zone: string;
}

/**
 * `GET` of a path under one user, as that user (a JWT with their sub). The template may
 * hold `{sub}`, and `{from}` / `{to}`: the user's local today minus `rangeDays - 1`, and
 * today, computed once per user when the load starts.
 */
export interface UserGetPlan {
  kind: 'user-get';
  path: string;
  rangeDays?: number;
  users: BenchUser[];
}

/**
 * Signed HubSpot webhook batches of `eventsPerRequest` events, every event new (a fresh
 * eventId), signed per request with the current timestamp as HubSpot does.
 */
export interface HubSpotBatchPlan {
  kind: 'hubspot-batch';
  eventsPerRequest: number;
  secret: string;
  /** Events are about contacts 1,000,000 … 1,000,000 + contacts − 1 (default 10,000). */
  contacts?: number;
}

/** `GET`s of the internal API (`x-api-key`), each request one of `paths` drawn at random. */
export interface InternalGetPlan {
  kind: 'internal-get';
  paths: string[];
  apiKey: string;
}

/**
 * What one load process sends. A union so later benchmarks add a member and a case in
 * buildRequests, nothing else.
 */
export type RequestPlan = UserGetPlan | HubSpotBatchPlan | InternalGetPlan;

/** Everything the load worker needs, sent to it as JSON on stdin. */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Seeds the choice of user for each request. */
  seed: number;
  plan: RequestPlan;
}

interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
}

function localRange(zone: string, rangeDays: number, now: DateTime): { from: string; to: string } {
  const today = now.setZone(zone).startOf('day');
  return { from: today.minus({ days: rangeDays - 1 }).toISODate()!, to: today.toISODate()! };
}

async function prepareUserGets(plan: UserGetPlan): Promise<PreparedRequest[]> {
  if (plan.users.length === 0) throw new Error(`no users to request ${plan.path} for`);
  const now = DateTime.utc();
  // Long enough for any run of the bench; minted before the clock starts.
  const expiresInSeconds = 6 * 3600;
  return Promise.all(
    plan.users.map(async (user) => {
      const range = localRange(user.zone, plan.rangeDays ?? 1, now);
      const path = plan.path
        .replaceAll('{sub}', encodeURIComponent(user.sub))
        .replaceAll('{from}', range.from)
        .replaceAll('{to}', range.to);
      return {
        path,
        headers: { authorization: `Bearer ${await developmentToken(user.sub, { expiresInSeconds })}` },
      };
    }),
  );
}

/**
 * autocannon's request list for a plan: one dynamic request whose setupRequest draws a
 * user at random (seeded) for every request sent. All per-user work (tokens, paths) is
 * done here, before the run, so the load process spends its time sending.
 */
export async function buildRequests(spec: LoadSpec): Promise<Request[]> {
  if (spec.plan.kind === 'hubspot-batch') return hubspotRequests(spec.url, spec.plan);
  const prepared =
    spec.plan.kind === 'internal-get'
      ? spec.plan.paths.map((path) => ({
          path,
          headers: { 'x-api-key': (spec.plan as InternalGetPlan).apiKey },
        }))
      : await prepareUserGets(spec.plan);
  const random = seededRandom(spec.seed);
  return [
    {
      method: 'GET',
      setupRequest: (request) => {
        const next = prepared[Math.floor(random() * prepared.length)]!;
        return {
          ...request,
          path: next.path,
          headers: { ...request.headers, ...next.headers },
        };
      },
    },
  ];
}

const WEBHOOK_PATH = '/public/hubspot/webhooks';
/** The first HubSpot contact id the bench's events name. */
export const FIRST_CONTACT = 1_000_000;

/** One request builder: a new batch, signed over the URL the API rebuilds from Host. */
function hubspotRequests(url: string, plan: HubSpotBatchPlan): Request[] {
  const uri = `${url.replace(/\/$/, '')}${WEBHOOK_PATH}`;
  // Unique across runs and load processes: the time the load started, then a counter.
  let nextEventId = Date.now() * 1000;
  return [
    {
      method: 'POST',
      path: WEBHOOK_PATH,
      setupRequest: (request) => {
        const occurredAt = Date.now();
        const events = Array.from({ length: plan.eventsPerRequest }, () => {
          nextEventId += 1;
          return {
            eventId: nextEventId,
            subscriptionId: 1,
            portalId: 1,
            appId: 1,
            occurredAt,
            subscriptionType: 'contact.propertyChange',
            attemptNumber: 0,
            objectId: FIRST_CONTACT + (nextEventId % (plan.contacts ?? 10_000)),
            propertyName: 'firstname',
            propertyValue: `Name ${nextEventId}`,
            changeSource: 'CRM_UI',
          };
        });
        const body = JSON.stringify(events);
        const timestamp = String(Date.now());
        return {
          ...request,
          body,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            'x-hubspot-request-timestamp': timestamp,
            'x-hubspot-signature-v3': hubspotSignatureV3(plan.secret, 'POST', uri, body, timestamp),
          },
        };
      },
    },
  ];
}

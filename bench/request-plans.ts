import type { Request } from 'autocannon';
import { DateTime } from 'luxon';
import { developmentToken } from '../src/dev/development-token.js';
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
 * What one load process sends. A union so later benchmarks (signed HubSpot batches,
 * internal API calls…) add a member and a case in buildRequests, nothing else.
 */
export type RequestPlan = UserGetPlan;

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
  authorization: string;
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
      return { path, authorization: `Bearer ${await developmentToken(user.sub, { expiresInSeconds })}` };
    }),
  );
}

/**
 * autocannon's request list for a plan: one dynamic request whose setupRequest draws a
 * user at random (seeded) for every request sent. All per-user work (tokens, paths) is
 * done here, before the run, so the load process spends its time sending.
 */
export async function buildRequests(spec: LoadSpec): Promise<Request[]> {
  const prepared = await prepareUserGets(spec.plan);
  const random = seededRandom(spec.seed);
  return [
    {
      method: 'GET',
      setupRequest: (request) => {
        const next = prepared[Math.floor(random() * prepared.length)]!;
        return {
          ...request,
          path: next.path,
          headers: { ...request.headers, authorization: next.authorization },
        };
      },
    },
  ];
}

import stringify from 'safe-stable-stringify';
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../deps.js';
import type { AnyRoute } from '../route.js';
import type { JwtIdentity } from './auth-jwt.js';
import { errorHandler } from './error-handler.js';
import {
  claimKey,
  completeKey,
  findKey,
  releaseKey,
  type KeyScope,
  type KeyedRequest,
  type StoredKey,
} from '../../shared/db/idempotency-keys.js';

export { deleteExpiredIdempotencyKeys } from '../../shared/db/idempotency-keys.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

/** docs/conventions.md#idempotency-key: 1–255 printable ASCII characters (the app sends a UUID). */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x20-\x7e]*$/, { error: 'must be printable ASCII characters' });

/**
 * JSON with object keys sorted, so that key order never makes two equal bodies differ
 * (safe-stable-stringify: pino's own, deterministic for any JSON a client can send).
 */
export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

/** What makes two requests "the same": method, concrete path, query and body. */
export function requestHash(method: string, path: string, query: unknown, body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson([method.toUpperCase(), path, query ?? {}, body ?? null]))
    .digest('hex');
}

function readKey(ctx: Context): string | undefined {
  const raw = ctx.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const result = idempotencyKeySchema.safeParse(Array.isArray(raw) ? raw.join(', ') : raw);
  if (result.success) return result.data;
  throw new AppError(422, 'validation_failed', 'The Idempotency-Key header is not valid', {
    errors: result.error.issues.map((issue) => ({
      path: `headers.${IDEMPOTENCY_HEADER}`,
      message: issue.message,
    })),
  });
}

// Refusals a retry is told to expect to change (a conflict that may clear, a rate
// limit): storing them would replay the refusal to the very retry they invite.
const TRANSIENT_4XX = new Set([408, 409, 425, 429]);

/**
 * Which finished responses the key remembers: successes and definitive client errors,
 * as JSON. Server errors and transient refusals free the key instead, so a retry runs.
 */
function isStorable(ctx: Context): boolean {
  const { status } = ctx;
  if (status >= 500 || TRANSIENT_4XX.has(status) || status < 200) return false;
  if (ctx.body === undefined || ctx.body === null) return true;
  const json = status < 400 ? 'application/json' : 'application/problem+json';
  const isPlainJson = typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body) && !('pipe' in ctx.body);
  return isPlainJson && ctx.response.type === json;
}

function replay(ctx: Context, stored: StoredKey): void {
  const status = stored.status ?? 500;
  ctx.status = status;
  if (stored.body !== null && stored.body !== undefined) {
    ctx.type = status < 400 ? 'application/json' : 'application/problem+json';
    ctx.body = stored.body;
  }
  ctx.set(REPLAYED_HEADER, 'true');
}

const keyReused = () =>
  new AppError(
    422,
    'idempotency_key_reused',
    'This Idempotency-Key was used for a different request; use a new key for a new request',
  );
const RETRY_SOON = { headers: { 'retry-after': '1' } };
const keyInUse = () =>
  new AppError(
    409,
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still running',
    RETRY_SOON,
  );

export type IdempotencyGuard = (ctx: Context, handle: () => Promise<void>) => Promise<void>;

/**
 * `Idempotency-Key` for one route (docs/conventions.md#idempotency-key), or undefined when the route does not take
 * it. Runs after authentication, path ownership and input validation (an invalid
 * request is refused without claiming the key) and wraps the handler:
 *
 * - a new key is claimed (a row in progress), the handler runs, and its response is
 *   stored when `isStorable`, otherwise the key is freed for a retry;
 * - the same request again gets the stored response (`idempotent-replayed: true`), or
 *   409 `idempotency_key_in_use` while the first still runs;
 * - another request with the key gets 422 `idempotency_key_reused`;
 * - after 24 h the key is free again; an in-progress row older than 60 s is taken to be
 *   from a crashed process, and the same request may take it over. Handlers commit
 *   their own transactions, so a crash between that commit and storing the response
 *   can run the request twice: the handlers' own uniqueness rules are the last guard.
 */
export function idempotencyGuard(
  route: AnyRoute,
  deps: Pick<AppDeps, 'knex' | 'logger'>,
): IdempotencyGuard | undefined {
  if (!route.idempotent) return undefined;
  if (route.auth !== 'jwt')
    throw new Error(
      `${route.method.toUpperCase()} ${route.path}: Idempotency-Key needs a signed-in user (auth 'jwt')`,
    );
  // The handler's errors become their response here, before the outer error handler
  // sees them, so that a 4xx can be stored like any other response.
  const answerErrors = errorHandler(deps.logger);

  async function runClaimed(ctx: Context, scope: KeyScope, claimedAt: string, handle: () => Promise<void>) {
    await answerErrors(ctx, handle);
    try {
      if (isStorable(ctx)) {
        const stored = await completeKey(deps.knex, scope, claimedAt, { status: ctx.status, body: ctx.body });
        if (!stored)
          deps.logger.warn({ path: ctx.path }, 'idempotency key was taken over before the request finished');
      } else {
        await releaseKey(deps.knex, scope, claimedAt);
      }
    } catch (error) {
      // The response stands either way; a row left in progress is taken over after 60 s.
      deps.logger.warn({ err: error }, 'could not record the idempotent response');
    }
  }

  return async (ctx, handle) => {
    const key = readKey(ctx);
    if (key === undefined) return handle();
    const identity = ctx.state.identity as JwtIdentity | undefined;
    if (!identity) throw new Error('Idempotency-Key checked before authentication');
    const scope: KeyScope = { cognitoSub: identity.sub, key };
    const request: KeyedRequest = {
      method: ctx.method,
      path: ctx.path,
      requestHash: requestHash(ctx.method, ctx.path, ctx.query, (ctx.request as { body?: unknown }).body),
    };
    // A row can vanish between the claim and the read (freed by a failed request, or
    // pruned): claim again then. Three rounds are plenty; more would mean constant churn.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const claimedAt = await claimKey(deps.knex, scope, request);
      if (claimedAt) return runClaimed(ctx, scope, claimedAt, handle);
      const stored = await findKey(deps.knex, scope);
      if (!stored) continue;
      if (stored.requestHash !== request.requestHash) throw keyReused();
      if (!stored.completed) throw keyInUse();
      return replay(ctx, stored);
    }
    throw keyInUse();
  };
}

import type { Knex } from 'knex';

/** How long a key answers with its first response (docs/conventions.md#idempotency-key). */
export const KEY_TTL_SECONDS = 24 * 60 * 60;

/**
 * An unfinished claim older than this belongs to a process that died mid-request (the
 * key row and the handler's own transaction are separate, so a crash can leave the row
 * in progress). A retry of the same request may then take it over. It is well above
 * any real request: API Gateway gives up after 29 s.
 */
export const ABANDONED_AFTER_SECONDS = 60;

/** Keys are scoped to the caller: two users may pick the same key. */
export interface KeyScope {
  cognitoSub: string;
  key: string;
}

export interface KeyedRequest {
  method: string;
  path: string;
  requestHash: string;
}

export interface StoredKey {
  requestHash: string;
  completed: boolean;
  status: number | null;
  body: unknown;
}

/**
 * Claims the key for this request in one statement: a new row, or the takeover of an
 * expired row (any request) or of an abandoned one (the same request only). Returns
 * the claim's token, the row's `created_at` at full precision, or undefined when the
 * key is held by a live row.
 */
export async function claimKey(
  knex: Knex,
  scope: KeyScope,
  request: KeyedRequest,
): Promise<string | undefined> {
  const result = await knex.raw<{ rows: Array<{ claimed_at: string }> }>(
    `insert into idempotency_keys (cognito_sub, key, method, path, request_hash)
     values (?, ?, ?, ?, ?)
     on conflict (cognito_sub, key) do update
       set method = excluded.method,
           path = excluded.path,
           request_hash = excluded.request_hash,
           response_status = null,
           response_body = null,
           created_at = now(),
           completed_at = null
       where idempotency_keys.created_at < now() - make_interval(secs => ?)
          or (idempotency_keys.completed_at is null
              and idempotency_keys.request_hash = excluded.request_hash
              and idempotency_keys.created_at < now() - make_interval(secs => ?))
     returning created_at::text as claimed_at`,
    [
      scope.cognitoSub,
      scope.key,
      request.method,
      request.path,
      request.requestHash,
      KEY_TTL_SECONDS,
      ABANDONED_AFTER_SECONDS,
    ],
  );
  return result.rows[0]?.claimed_at;
}

export async function findKey(knex: Knex, scope: KeyScope): Promise<StoredKey | undefined> {
  const row = (await knex('idempotency_keys')
    .where({ cognito_sub: scope.cognitoSub, key: scope.key })
    .first('request_hash', 'response_status', 'response_body', 'completed_at')) as
    | {
        request_hash: string;
        response_status: number | null;
        response_body: unknown;
        completed_at: Date | null;
      }
    | undefined;
  if (!row) return undefined;
  return {
    requestHash: row.request_hash,
    completed: row.completed_at !== null,
    status: row.response_status,
    body: row.response_body,
  };
}

// The claim token guards both writes below: a claim that was taken over (abandoned,
// then retried) must not overwrite or delete its successor's row.
const ownClaim = (knex: Knex, scope: KeyScope, claimedAt: string) =>
  knex('idempotency_keys')
    .where({ cognito_sub: scope.cognitoSub, key: scope.key })
    .whereRaw('created_at = ?::timestamptz', [claimedAt])
    .whereNull('completed_at');

/** Stores the response a claim produced; false when the claim was taken over meanwhile. */
export async function completeKey(
  knex: Knex,
  scope: KeyScope,
  claimedAt: string,
  response: { status: number; body: unknown },
): Promise<boolean> {
  const updated = await ownClaim(knex, scope, claimedAt).update({
    response_status: response.status,
    // Stringified: pg would send a top-level array as a Postgres array, not JSON.
    response_body: response.body === undefined ? null : JSON.stringify(response.body),
    completed_at: knex.fn.now(),
  });
  return updated > 0;
}

/** Frees the key so that a retry runs the request again. */
export async function releaseKey(knex: Knex, scope: KeyScope, claimedAt: string): Promise<void> {
  await ownClaim(knex, scope, claimedAt).delete();
}

/**
 * Deletes keys older than 24 h, in batches so that a large backlog never holds one long
 * transaction. For the scheduled pruning job; returns how many rows went.
 */
export async function deleteExpiredIdempotencyKeys(
  knex: Knex,
  options: { batchSize?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  let total = 0;
  for (;;) {
    // By ctid: the batch found through the created_at index is deleted by a TID scan,
    // never by a join back over the primary key (which can walk all of it).
    const result = await knex.raw<{ rowCount: number }>(
      `delete from idempotency_keys
       where ctid = any(array(
         select ctid from idempotency_keys
         where created_at < now() - make_interval(secs => ?)
         limit ?))`,
      [KEY_TTL_SECONDS, batchSize],
    );
    total += result.rowCount;
    if (result.rowCount < batchSize) return total;
  }
}

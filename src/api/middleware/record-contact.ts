import type { Middleware } from 'koa';
import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger.js';
import { recordContact } from '../../users/contact-days.js';
import type { JwtIdentity } from './auth-jwt.js';

/** Subjects remembered at most; past this the memory starts again (each costs one more write). */
const MAX_REMEMBERED = 100_000;
/** While a subject's write is under way, its other requests do not write again. */
const IN_FLIGHT_MS = 10_000;
/** At most one warning this often while the writes fail (Postgres away): the requests say the rest. */
const WARN_EVERY_MS = 60_000;

/**
 * Records the local day on which a user's app talks to the service (docs/resources.md#wear-stats),
 * for every authenticated request it carries out (a refused one changes nothing), at
 * the cost of one statement per user and local day per process (decision record 011):
 * each process remembers until when the subject's day is recorded. The write follows
 * the handler (a PUT of the profile may have just created the user), and the answer
 * waits for it, so that what a client was answered is in Postgres, contact included. A
 * failed write is retried by the subject's next request and never fails one.
 */
export function recordAppContact(knex: Knex, logger: Logger): Middleware {
  const recordedUntil = new Map<string, number>();
  let lastWarning = 0;

  const record = async (sub: string) => {
    try {
      const dayEndsAt = await recordContact(knex, sub);
      if (dayEndsAt) recordedUntil.set(sub, dayEndsAt.getTime());
      else recordedUntil.delete(sub); // no profile yet: asked again by its next request
    } catch (error) {
      recordedUntil.delete(sub);
      if (Date.now() - lastWarning >= WARN_EVERY_MS) {
        lastWarning = Date.now();
        logger.warn({ err: error }, 'could not record app contacts; retried by the next requests');
      }
    }
  };

  return async (ctx, next) => {
    const { sub } = ctx.state.identity as JwtIdentity;
    const now = Date.now();
    if ((recordedUntil.get(sub) ?? 0) > now) return next();
    await next();
    // A refused request changes nothing (docs/conventions.md#errors), not even this.
    if (ctx.status >= 400) return;
    if (recordedUntil.size >= MAX_REMEMBERED) recordedUntil.clear();
    recordedUntil.set(sub, now + IN_FLIGHT_MS);
    await record(sub);
  };
}

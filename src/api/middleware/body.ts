import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { AppError } from '../../shared/errors.js';
import { requireJsonBody } from './require-json.js';

/** Body limit for every JSON endpoint; a HubSpot batch of 100 events is ~60 KB. */
export const JSON_BODY_LIMIT = '1mb';

/**
 * Nesting limit of a JSON body. Far deeper than any document of this API (a HubSpot
 * batch is 3 levels), and far shallower than what recursive code downstream survives:
 * JSON.parse is iterative, but JSON.stringify (storing a HubSpot event's payload) and
 * Postgres' jsonb parser overflow their stacks on a 1 MB body of `[[[[…]]]]`.
 */
export const JSON_MAX_DEPTH = 64;

/**
 * What requireJsonBody lets through is what gets parsed: any `+json` type too. The
 * parser's own list names only a few, and a body it skips would go unread, answered as
 * if missing, and with a large one the connection could break mid-answer.
 */
const JSON_TYPES = { json: ['application/json', 'application/*+json'] };

const parseJsonBody = bodyParser({
  enableTypes: ['json'],
  extendTypes: JSON_TYPES,
  jsonLimit: JSON_BODY_LIMIT,
  strict: true,
  // keep the parser's own error (status 400/413) for errorHandler to map
  onerror: (error) => {
    throw error;
  },
});

/**
 * For signed routes: read the raw body whatever it is, and keep a parse failure for
 * after the signature check, so an unsigned caller gets 401 and learns nothing about
 * its body. co-body puts the text it could not parse on the error (`body`).
 */
const readBodyForSignature = bodyParser({
  enableTypes: ['json', 'text'],
  extendTypes: JSON_TYPES,
  jsonLimit: JSON_BODY_LIMIT,
  textLimit: JSON_BODY_LIMIT,
  strict: true,
  onerror: (error, ctx) => {
    ctx.state.bodyError = error;
    const raw = (error as { body?: unknown }).body;
    if (typeof raw === 'string') (ctx.request as { rawBody?: string }).rawBody = raw;
  },
});

const rethrowBodyError: Middleware = async (ctx, next) => {
  if (ctx.state.bodyError) throw ctx.state.bodyError;
  await next();
};

/**
 * A body over the limit is never read in full, so its signature cannot be checked: it
 * is answered 413 (docs/conventions.md#errors), not a 401 that would send HubSpot's operators hunting for
 * a wrong secret. The limit is no secret; the caller learns nothing else.
 */
const rethrowTooLarge: Middleware = async (ctx, next) => {
  if ((ctx.state.bodyError as { status?: number } | undefined)?.status === 413) throw ctx.state.bodyError;
  await next();
};

/** Whether `value` nests deeper than `max` objects and arrays; iterative, on purpose. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

const rejectDeepBodies: Middleware = async (ctx, next) => {
  if (nestsDeeperThan((ctx.request as { body?: unknown }).body, JSON_MAX_DEPTH))
    throw new AppError(
      400,
      'body_too_deep',
      `The request body nests objects and arrays more than ${JSON_MAX_DEPTH} levels deep`,
    );
  await next();
};

/** The body part of a route's chain; `signature` verifies the raw body when given. */
export function bodyChain(signature: Middleware | undefined): Middleware[] {
  if (!signature) return [requireJsonBody(), parseJsonBody, rejectDeepBodies];
  return [
    readBodyForSignature,
    rethrowTooLarge,
    signature,
    requireJsonBody(),
    rethrowBodyError,
    rejectDeepBodies,
  ];
}

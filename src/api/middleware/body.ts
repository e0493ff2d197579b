import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { requireJsonBody } from './require-json.js';

/** Body limit for every JSON endpoint; a HubSpot batch of 100 events is ~60 KB. */
export const JSON_BODY_LIMIT = '1mb';

const parseJsonBody = bodyParser({
  enableTypes: ['json'],
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

/** The body part of a route's chain; `signature` verifies the raw body when given. */
export function bodyChain(signature: Middleware | undefined): Middleware[] {
  if (!signature) return [requireJsonBody(), parseJsonBody];
  return [readBodyForSignature, signature, requireJsonBody(), rethrowBodyError];
}

import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { sendProblem, type Problem } from '../errors/problem.js';
import { problemFromDatabaseError } from '../errors/database-errors.js';
import { fieldErrorsFromZod } from '../validation.js';

interface HttpishError {
  code?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

/** koa-bodyparser and @koa/router throw http-errors; these are the ones a client can cause. */
function problemFromHttpError(error: HttpishError): Problem | undefined {
  // zlib's errors (Z_DATA_ERROR…) for a body whose Content-Encoding does not match it; the
  // brotli decoder's (`content-encoding: br`) are named ERR__ERROR_FORMAT_… instead.
  if (typeof error.code === 'string' && /^(Z_|ERR__ERROR_)/.test(error.code))
    return {
      status: 400,
      code: 'bad_request',
      detail: 'The request body could not be decoded as its Content-Encoding says',
    };
  const status = error.status ?? error.statusCode;
  if (!status || status < 400 || status >= 500) return undefined;
  // co-body throws a SyntaxError (status 400) for text that is not JSON.
  if (status === 400 && (error.type === 'entity.parse.failed' || error instanceof SyntaxError))
    return { status, code: 'malformed_json', detail: 'The request body is not valid JSON' };
  if (status === 413)
    return {
      status,
      code: 'payload_too_large',
      detail: 'The request body is larger than this endpoint accepts',
    };
  if (status === 415)
    return { status, code: 'unsupported_media_type', detail: error.message ?? 'Unsupported media type' };
  if (status === 405)
    return { status, code: 'method_not_allowed', detail: 'This method is not allowed on this path' };
  const detail = error.expose && error.message ? error.message : 'The request could not be processed';
  return { status, code: 'bad_request', detail };
}

/**
 * The one place errors become responses (docs/conventions.md#errors). Known failures get their problem
 * document; anything else is logged with its stack and answered with an opaque 500.
 */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendProblem(ctx, {
          status: 404,
          code: 'not_found',
          detail: `No route for ${ctx.method} ${ctx.path}`,
        });
      } else if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        // The router has set `Allow` (RFC 9110 §15.5.6); the problem document goes with it.
        sendProblem(ctx, {
          status: 405,
          code: 'method_not_allowed',
          detail: `${ctx.method} is not allowed on this path`,
        });
      }
    } catch (error) {
      let problem: Problem | undefined;
      if (error instanceof AppError) {
        problem = {
          status: error.status,
          code: error.code,
          detail: error.message,
          ...(error.details.errors ? { errors: error.details.errors } : {}),
        };
        for (const [name, value] of Object.entries(error.details.headers ?? {})) ctx.set(name, value);
      } else if (error instanceof ZodError) {
        problem = {
          status: 422,
          code: 'validation_failed',
          detail: 'The request is not valid',
          errors: fieldErrorsFromZod(error),
        };
      } else {
        problem = problemFromDatabaseError(error) ?? problemFromHttpError(error as HttpishError);
        if (problem?.status === 503) ctx.set('retry-after', '5');
      }
      if (problem) {
        if (problem.status >= 500) logger.warn({ err: error, code: problem.code }, problem.detail);
        sendProblem(ctx, problem);
        return;
      }
      logger.error({ err: error }, 'unhandled error');
      sendProblem(ctx, {
        status: 500,
        code: 'internal_error',
        detail: 'Something went wrong on our side; it has been logged',
      });
    }
  };
}

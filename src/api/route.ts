import type { Context } from 'koa';
import type { z, ZodType } from 'zod';
import { AppError } from '../shared/errors.js';
import type { User } from '../users/model.js';
import type { AppDeps } from './deps.js';
import { fieldErrorsFromZod } from './validation.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';
export type AuthScheme = 'jwt' | 'api_key' | 'hubspot_signature' | 'none';

export interface ResponseSpec {
  description: string;
  /** A JSON body (`application/json`). */
  schema?: ZodType;
  /** A body that is not JSON, e.g. `text/plain` (documented as a string). */
  mediaType?: string;
}

type Out<S> = S extends ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

/** The caller's own profile, loaded for a route that `requiresProfile`. */
export interface ProfileInput {
  user: User;
}

type HandlerInput<P, Q, B, U extends boolean> = RouteInput<P, Q, B> &
  (U extends true ? ProfileInput : unknown);

/**
 * One endpoint, declared once: its path, auth scheme, request schemas and responses.
 * The same definition validates requests, builds the OpenAPI document and drives
 * the authorization tests, so none of them can drift from the others.
 */
export interface RouteDefinition<P = unknown, Q = unknown, B = unknown, U extends boolean = false> {
  method: HttpMethod;
  /** Koa-router path, e.g. `/auth/users/:cognito_sub` */
  path: string;
  summary: string;
  tag: string;
  auth: AuthScheme;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** How an invalid body is answered; default 422 `validation_failed` (docs/conventions.md#errors). */
  invalidBody?: { status: 400; code: string };
  /** Accepts `Idempotency-Key` (mobile POSTs, docs/conventions.md#idempotency-key). */
  idempotent?: boolean;
  /**
   * False for a route that never answers 503 `service_unavailable` when Postgres is down
   * (it does not query it, or reports the outage itself, as /ready does); default true.
   */
  usesDatabase?: boolean;
  /**
   * For an own-sub path (`/auth/users/:cognito_sub/…`) that acts on the caller's data:
   * their profile is read first, and given to the handler as `user`; without one the
   * answer is 404 "No profile yet".
   */
  requiresProfile?: U;
  handler: (ctx: Context, input: HandlerInput<P, Q, B, U>, deps: AppDeps) => Promise<void>;
}

export type AnyRoute = RouteDefinition<
  ZodType | undefined,
  ZodType | undefined,
  ZodType | undefined,
  boolean
>;

/** Identity function that infers the handler's input types from the schemas. */
export function defineRoute<
  P extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  B extends ZodType | undefined = undefined,
  U extends boolean = false,
>(route: RouteDefinition<P, Q, B, U>): AnyRoute {
  return route as unknown as AnyRoute;
}

function parsePart(
  schema: ZodType | undefined,
  value: unknown,
  location: string,
  failure: { status: number; code: string } = { status: 422, code: 'validation_failed' },
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError(failure.status, failure.code, `The request ${location} is not valid`, {
    errors: fieldErrorsFromZod(result.error, location),
  });
}

export function parseInput(
  route: AnyRoute,
  ctx: Context,
): RouteInput<ZodType | undefined, ZodType | undefined, ZodType | undefined> {
  const body = (ctx.request as { body?: unknown }).body;
  return {
    params: parsePart(route.params, ctx.params, 'params'),
    query: parsePart(route.query, ctx.query, 'query'),
    // koa-bodyparser leaves {} when no body was sent: schemas decide whether that is allowed.
    body: parsePart(route.body, body, 'body', route.invalidBody),
  };
}

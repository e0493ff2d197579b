import type { ZodType } from 'zod';
import { JSON_BODY_LIMIT, JSON_MAX_DEPTH } from '../middleware/body.js';
import type { AnyRoute } from '../route.js';
import { toJsonSchema, type JsonSchema, type SchemaComponents } from './json-schema.js';
import { operationId, pathParamNames } from './paths.js';
import { securityFor } from './security.js';

export const ref = (kind: 'schemas' | 'parameters' | 'headers' | 'responses', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

type Parameter =
  | { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema }
  | { $ref: string };

interface MediaTypes {
  [type: string]: { schema: JsonSchema };
}

export type Response =
  { description: string; headers?: Record<string, unknown>; content?: MediaTypes } | { $ref: string };

export interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: MediaTypes };
  responses: Record<string, Response>;
}

/** Each property of an object schema (path or query) becomes one parameter. */
function parametersFrom(
  schema: ZodType,
  location: 'path' | 'query',
  components: SchemaComponents,
): Parameter[] {
  const json = toJsonSchema(schema, 'input', components);
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (json.type !== 'object' || !properties) throw new Error(`the ${location} schema is not an object`);
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

function pathParameters(route: AnyRoute, components: SchemaComponents): Parameter[] {
  const declared = route.params ? parametersFrom(route.params, 'path', components) : [];
  const inPath = new Set(pathParamNames(route.path));
  // Every template variable needs a parameter; one the route forgot to declare is still a string.
  const undeclared = [...inPath]
    .filter((name) => !declared.some((parameter) => 'name' in parameter && parameter.name === name))
    .map((name): Parameter => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  return [
    ...declared.filter((parameter) => 'name' in parameter && inPath.has(parameter.name)),
    ...undeclared,
  ];
}

const PROBLEM: MediaTypes = { 'application/problem+json': { schema: ref('schemas', 'Problem') } };

const UNAUTHORIZED: Record<AnyRoute['auth'], [string, string] | undefined> = {
  jwt: [
    'UnauthorizedBearer',
    'unauthorized: no bearer token, or one that is not a JWT, has no `sub` or has expired',
  ],
  api_key: ['UnauthorizedApiKey', 'unauthorized: no valid x-api-key'],
  hubspot_signature: [
    'UnauthorizedHubSpot',
    'unauthorized: the HubSpot signature is missing, invalid or stale',
  ],
  none: undefined,
};

/** A path schema whose every parameter is any string cannot refuse a path the router matched. */
function paramsCanFail(route: AnyRoute, components: SchemaComponents): boolean {
  if (!route.params) return false;
  const properties = toJsonSchema(route.params, 'input', components).properties as
    Record<string, JsonSchema> | undefined;
  return Object.values(properties ?? {}).some((property) => JSON.stringify(property) !== '{"type":"string"}');
}

interface ChainResponse {
  status: number;
  /** Its name in `components.responses`. */
  name: string;
  description: string;
}

/**
 * What the chain in server.ts answers around every handler, from the route's own
 * declaration: authentication, path ownership, the body (read on every route, with or
 * without a body schema), input validation, Idempotency-Key and the database. Each
 * description is the problem `code` and when it is sent.
 */
function chainResponses(route: AnyRoute, components: SchemaComponents): ChainResponse[] {
  const validated = paramsCanFail(route, components) || route.query || (route.body && !route.invalidBody);
  const unauthorized = UNAUTHORIZED[route.auth];
  const entries: Array<[number, string, string] | false | undefined> = [
    [
      400,
      'BadRequestBody',
      `malformed_json: a request body that is not valid JSON; body_too_deep: one nested more than ${JSON_MAX_DEPTH} levels; bad_request: one that does not decode as its Content-Encoding says`,
    ],
    unauthorized && [401, ...unauthorized],
    pathParamNames(route.path).includes('cognito_sub') && [
      403,
      'ForbiddenOtherUser',
      'forbidden: the path names another user',
    ],
    route.idempotent && [
      409,
      'IdempotencyKeyInUse',
      'idempotency_key_in_use: a request with this Idempotency-Key is still running; retry shortly',
    ],
    [413, 'PayloadTooLarge', `payload_too_large: a request body over ${JSON_BODY_LIMIT}`],
    [415, 'UnsupportedMediaType', 'unsupported_media_type: a request body that is not application/json'],
    validated && [
      422,
      'ValidationFailed',
      'validation_failed: a path, query or body value is not valid; `errors` names each',
    ],
    route.idempotent && [
      422,
      'IdempotencyKeyReused',
      'idempotency_key_reused: this Idempotency-Key was used for a different request',
    ],
    route.usesDatabase !== false && [
      503,
      'DatabaseUnavailable',
      'service_unavailable: the database is unavailable or too slow; retry after `Retry-After` seconds',
    ],
  ];
  return entries
    .filter((entry): entry is [number, string, string] => Boolean(entry))
    .map(([status, name, description]) => ({ status, name, description }));
}

function responsesOf(route: AnyRoute, components: SchemaComponents): Record<string, Response> {
  const responses: Record<string, Response> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const code = Number(status);
    let content: MediaTypes | undefined;
    if (spec.schema)
      content = { 'application/json': { schema: toJsonSchema(spec.schema, 'output', components) } };
    else if (spec.mediaType) content = { [spec.mediaType]: { schema: { type: 'string' } } };
    else if (code >= 400) content = PROBLEM;
    responses[status] = { description: spec.description, ...(content ? { content } : {}) };
  }
  const chain = chainResponses(route, components);
  for (const status of new Set(chain.map((entry) => entry.status))) {
    const entries = chain.filter((entry) => entry.status === status);
    const description = entries.map((entry) => entry.description).join('; ');
    const existing = responses[status];
    if (existing && 'description' in existing) {
      // Added to what the route declares, so its own words stay first.
      responses[status] = { ...existing, description: `${existing.description}; ${description}` };
    } else if (entries.length > 1) {
      responses[status] = { description, content: PROBLEM };
    } else {
      // The same answer on many routes: once in components.responses, referred to here.
      const { name } = entries[0]!;
      components.responses[name] = { description, content: PROBLEM };
      responses[status] = ref('responses', name);
    }
  }
  if (!route.idempotent) return responses;
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 300 && 'description' in response)
      response.headers = { 'idempotent-replayed': ref('headers', 'IdempotentReplayed') };
  }
  return responses;
}

/** The OpenAPI operation of one route, from the zod schemas that validate its requests. */
export function buildOperation(route: AnyRoute, components: SchemaComponents): Operation {
  const parameters: Parameter[] = [
    ...pathParameters(route, components),
    ...(route.query ? parametersFrom(route.query, 'query', components) : []),
    ...(route.idempotent ? [ref('parameters', 'IdempotencyKey')] : []),
    ...(route.auth === 'hubspot_signature' ? [ref('parameters', 'HubSpotRequestTimestamp')] : []),
  ];
  // koa-bodyparser hands a bodiless request over as {}: a body is optional when {} is valid.
  const requestBody = route.body && {
    required: !route.body.safeParse({}).success,
    content: { 'application/json': { schema: toJsonSchema(route.body, 'input', components) } },
  };
  return {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    tags: [route.tag],
    security: securityFor(route.auth),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesOf(route, components),
  };
}

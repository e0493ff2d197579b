import type { ZodType } from 'zod';
import type { AnyRoute } from '../route.js';
import { toJsonSchema, type JsonSchema, type SchemaComponents } from './json-schema.js';
import { operationId, pathParamNames } from './paths.js';
import { securityFor } from './security.js';

export const ref = (kind: 'schemas' | 'parameters' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

type Parameter =
  | { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema }
  | { $ref: string };

interface MediaTypes {
  [type: string]: { schema: JsonSchema };
}

interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: MediaTypes;
}

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

const IDEMPOTENCY_RESPONSES: Record<number, string> = {
  409: 'idempotency_key_in_use: a request with this Idempotency-Key is still running; retry shortly',
  422: 'idempotency_key_reused: this Idempotency-Key was used for a different request',
};

function responsesOf(route: AnyRoute, components: SchemaComponents): Record<string, Response> {
  const responses: Record<string, Response> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const code = Number(status);
    let content: MediaTypes | undefined;
    if (spec.schema)
      content = { 'application/json': { schema: toJsonSchema(spec.schema, 'output', components) } };
    else if (code >= 400) content = { 'application/problem+json': { schema: ref('schemas', 'Problem') } };
    responses[status] = { description: spec.description, ...(content ? { content } : {}) };
  }
  if (!route.idempotent) return responses;

  for (const [status, description] of Object.entries(IDEMPOTENCY_RESPONSES)) {
    const existing = responses[status];
    responses[status] = existing
      ? { ...existing, description: `${existing.description}; ${description}` }
      : { description, content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } } };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 300)
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

import { z } from 'zod';
import { IDEMPOTENCY_HEADER, idempotencyKeySchema } from '../middleware/idempotency.js';
import type { AnyRoute } from '../route.js';
import { SchemaComponents, toJsonSchema, type JsonSchema } from './json-schema.js';
import { buildOperation, type Operation } from './operation.js';
import { openApiPath } from './paths.js';
import { problemSchema } from './problem.js';
import { securitySchemes } from './security.js';

export const OPENAPI_VERSION = '3.1.1';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    parameters: Record<string, unknown>;
    headers: Record<string, unknown>;
    securitySchemes: typeof securitySchemes;
  };
}

const DESCRIPTION = `Back end of the Aligner Tracker mobile app.

- \`/auth/*\`: the app, with the user's Cognito JWT; \`/auth/users/{cognito_sub}/…\` is the caller's own data only.
- \`/internal/*\`: Jarvis and other services, with an \`x-api-key\`.
- \`/public/hubspot/*\`: HubSpot webhooks, signed (signature v3).

Errors are RFC 9457 problem documents (\`application/problem+json\`) with a stable \`code\`.
Mobile POSTs take an optional \`Idempotency-Key\`: a retry with the same key and body gets the first response again for 24 h.`;

/** One line per tag of the route table; a tag missing here is left without one (the document test says so). */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  operations: 'Liveness, readiness and Prometheus metrics, for the platform rather than the app',
  profile: "The signed-in user's profile, its deletion (GDPR erasure) and its export",
  treatment: 'The aligner treatment plan, aligner changes and extensions',
  reminders: 'Reminder settings and the notifications sent',
  photos: 'Progress photos: presigned uploads to S3, listing, download and deletion',
  wear: 'Wear sessions (aligners out of the mouth) and daily wear statistics',
  dentists: 'The dentist directory, and requests to change dentist',
  internal: 'For Jarvis and other internal services (x-api-key): users, dentists, treatments, HubSpot events',
  hubspot: 'HubSpot webhook deliveries, signed with signature v3',
};

/**
 * Relative, so the document is right wherever the API is served (localhost, staging,
 * production): a client resolves it against the URL it fetched /openapi.json from.
 * No config value names the public URL, and a wrong absolute one would be worse than none.
 */
const SERVERS = [{ url: '/', description: 'This server: where this document was fetched from' }];

function componentsBase(components: SchemaComponents) {
  components.add('Problem', toJsonSchema(problemSchema, 'output', components));
  return {
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Makes a retry safe: the same key with the same request returns the first response (24 h) and does the work once',
        schema: toJsonSchema(idempotencyKeySchema, 'input', components),
      },
      HubSpotRequestTimestamp: {
        name: 'X-HubSpot-Request-Timestamp',
        in: 'header',
        required: true,
        description: 'Epoch milliseconds, signed with the body; refused when more than 5 minutes off',
        schema: toJsonSchema(z.string().regex(/^\d+$/), 'input', components),
      },
    },
    headers: {
      IdempotentReplayed: {
        description: `"true" when this is the stored response to an earlier request with the same ${IDEMPOTENCY_HEADER}`,
        schema: { type: 'string', const: 'true' },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of a route table (docs/conventions.md#openapi), built from the same zod schemas
 * that validate the requests. Throws, naming the route, when a schema cannot be
 * expressed, so that such a route fails at start-up rather than going undocumented.
 */
export function buildOpenApiDocument(routes: readonly AnyRoute[], version: string): OpenApiDocument {
  const components = new SchemaComponents();
  const { parameters, headers } = componentsBase(components);
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    let operation: Operation;
    try {
      operation = buildOperation(route, components);
    } catch (error) {
      throw new Error(`OpenAPI: ${route.method.toUpperCase()} ${route.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (operationIds.has(operation.operationId))
      throw new Error(`OpenAPI: duplicate operationId ${operation.operationId} (${route.path})`);
    operationIds.add(operation.operationId);
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: OPENAPI_VERSION,
    info: { title: 'Aligner Tracker API', version, description: DESCRIPTION },
    servers: SERVERS,
    // In the route table's order, which groups the API the way a reader meets it.
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({
      name,
      ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
    })),
    paths,
    components: {
      schemas: components.schemas,
      responses: components.responses,
      parameters,
      headers,
      securitySchemes,
    },
  };
}

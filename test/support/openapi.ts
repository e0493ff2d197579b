import type { OpenApiDocument } from '../../src/api/openapi/document.js';
import type { Operation } from '../../src/api/openapi/operation.js';
import { openApiPath } from '../../src/api/openapi/paths.js';
import type { AnyRoute } from '../../src/api/route.js';

export interface ResolvedResponse {
  description: string;
  content?: Record<string, { schema: unknown }>;
}

/**
 * The route's operation in `document`, its responses with their `$ref`s to
 * `components.responses` followed; undefined when the document leaves the route out.
 */
export function resolvedOperation(
  document: OpenApiDocument,
  route: AnyRoute,
): (Omit<Operation, 'responses'> & { responses: Record<string, ResolvedResponse> }) | undefined {
  const operation = document.paths[openApiPath(route.path)]?.[route.method];
  if (!operation) return undefined;
  const responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => {
      if (!('$ref' in response)) return [status, response as ResolvedResponse];
      const target = document.components.responses[response.$ref.replace('#/components/responses/', '')];
      if (!target) throw new Error(`${response.$ref} is not in components.responses`);
      return [status, target as ResolvedResponse];
    }),
  );
  return { ...operation, responses };
}

import type { HttpMethod } from '../route.js';

const PARAM = /:([A-Za-z0-9_]+)/g;

/** `/auth/users/:cognito_sub/images/:id` → `/auth/users/{cognito_sub}/images/{id}` */
export function openApiPath(koaPath: string): string {
  // Router features OpenAPI cannot express (custom patterns, optional or wildcard parts).
  if (/[()?*+{}]/.test(koaPath)) throw new Error(`OpenAPI: unsupported path syntax in ${koaPath}`);
  return koaPath.replace(PARAM, '{$1}');
}

export function pathParamNames(koaPath: string): string[] {
  return [...koaPath.matchAll(PARAM)].map((match) => match[1] as string);
}

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/**
 * A stable operationId from method and path, so generated clients keep their names:
 * `post /auth/users/:cognito_sub/wear-sessions` → `postAuthUsersByCognitoSubWearSessions`.
 */
export function operationId(method: HttpMethod, koaPath: string): string {
  const words = koaPath
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `By${pascal(segment.slice(1))}` : pascal(segment)));
  return `${method}${words.join('')}`;
}

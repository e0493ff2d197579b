import { z } from 'zod';
import { notFound } from '../../shared/errors.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/document.js';
import { packageVersion } from '../openapi/package-version.js';
import { DOCS_PAGE, loadSwaggerUiAssets } from '../openapi/swagger-ui.js';
import { defineRoute, type AnyRoute } from '../route.js';

export const DOCS_TAG = 'documentation';

/** `/openapi.json`, `/docs` (Swagger UI) and its assets; everything is built once, here. */
export function docsRoutes(document: OpenApiDocument): AnyRoute[] {
  const json = JSON.stringify(document);
  const assets = loadSwaggerUiAssets();
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'The OpenAPI 3.1 document of this API',
      tag: DOCS_TAG,
      auth: 'none',
      usesDatabase: false,
      responses: { 200: { description: 'OpenAPI 3.1 document' } },
      handler: async (ctx) => {
        ctx.type = 'application/json';
        ctx.body = json;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      summary: 'Swagger UI rendering /openapi.json',
      tag: DOCS_TAG,
      auth: 'none',
      usesDatabase: false,
      responses: { 200: { description: 'HTML page' } },
      handler: async (ctx) => {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = DOCS_PAGE;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/assets/:name',
      summary: 'A Swagger UI file (a fixed list; anything else is 404)',
      tag: DOCS_TAG,
      auth: 'none',
      usesDatabase: false,
      params: z.object({ name: z.string() }),
      responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
      handler: async (ctx, { params }) => {
        // A lookup in a fixed map, never a path on disk: `..` or an encoded slash finds nothing.
        const asset = assets.get(params.name);
        if (!asset) throw notFound('No such documentation file');
        ctx.type = asset.type;
        ctx.set('cache-control', 'public, max-age=86400');
        ctx.body = asset.body;
      },
    }),
  ];
}

/**
 * The route table with its documentation appended. The document covers the routes
 * given, not the documentation routes themselves (as FastAPI leaves out /docs), and is
 * built here, once, when the table is: a schema OpenAPI cannot express stops start-up.
 */
export function withDocs(routes: readonly AnyRoute[]): readonly AnyRoute[] {
  return [...routes, ...docsRoutes(buildOpenApiDocument(routes, packageVersion()))];
}

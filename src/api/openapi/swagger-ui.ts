import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// Only the package's path helper: its index would load the 1.7 MB browser bundle into the server.
const requireCjs = createRequire(import.meta.url);
const swaggerUiDir = requireCjs('swagger-ui-dist/absolute-path.js') as () => string;

export const ASSETS_PATH = '/docs/assets';

export interface Asset {
  type: string;
  body: Buffer;
}

/** The only files served from the package: a name not listed here is 404, whatever it holds. */
const PACKAGE_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

// A file rather than an inline script, so that a Content-Security-Policy without
// 'unsafe-inline' scripts can be put in front of /docs. No validatorUrl: the page
// must not call out to validator.swagger.io (the service may have no internet).
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Aligner Tracker API</title>
    <link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS_PATH}/swagger-ui-bundle.js" charset="utf-8"></script>
    <script src="${ASSETS_PATH}/docs-initializer.js" charset="utf-8"></script>
  </body>
</html>
`;

/** Swagger UI's files, read once (at start-up) from the installed swagger-ui-dist: no CDN. */
export function loadSwaggerUiAssets(): ReadonlyMap<string, Asset> {
  const dir = swaggerUiDir();
  const assets = new Map<string, Asset>(
    Object.entries(PACKAGE_ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(path.join(dir, name)) },
    ]),
  );
  assets.set('docs-initializer.js', {
    type: 'text/javascript; charset=utf-8',
    body: Buffer.from(INITIALIZER),
  });
  return assets;
}

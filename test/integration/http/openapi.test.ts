import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z, type ZodType } from 'zod';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../src/api/openapi/document.js';
import { openApiPath, pathParamNames } from '../../../src/api/openapi/paths.js';
import { defineRoute, type AnyRoute } from '../../../src/api/route.js';
import { DOCS_TAG } from '../../../src/api/routes/docs.js';
import { routes } from '../../../src/api/routes/index.js';
import { PROJECT_ROOT } from '../../../src/shared/db/paths.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { resolvedOperation } from '../../support/openapi.js';
import { launchChromium } from '../../support/browser.js';

interface Parameter {
  name?: string;
  in?: string;
  required?: boolean;
  schema?: unknown;
  $ref?: string;
}
interface Operation {
  operationId: string;
  tags: string[];
  security: unknown[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

const documented = routes.filter((route) => route.tag !== DOCS_TAG);
const label = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;
/** The JSON Schema a zod schema converts to, computed here independently of the generator. */
const jsonSchema = (schema: ZodType, io: 'input' | 'output') => {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io });
  return json as { properties?: Record<string, unknown>; required?: string[] };
};

let app: TestApp;
let document: OpenApiDocument;
let operations: Array<{ route: AnyRoute; operation: Operation | undefined }>;

beforeAll(async () => {
  app = await startTestApp();
  document = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
  operations = documented.map((route) => ({
    route,
    operation: resolvedOperation(document, route) as Operation | undefined,
  }));
});
afterAll(() => app.close());

describe('GET /openapi.json', () => {
  it('answers JSON to anyone', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('names the API and carries the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(document.info).toMatchObject({ title: 'Aligner Tracker API', version: pkg.version });
  });

  it('documents every route of the table, and nothing else', () => {
    const missing = operations.filter(({ operation }) => !operation).map(({ route }) => label(route));
    expect(missing).toEqual([]);
    const inDocument = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
    );
    expect(inDocument.sort()).toEqual(
      documented.map((route) => `${route.method.toUpperCase()} ${openApiPath(route.path)}`).sort(),
    );
  });

  it('gives every operation a unique operationId, its tag, summary and responses', () => {
    for (const { route, operation } of operations) {
      expect({ route: label(route), summary: (operation as { summary?: string })?.summary }).toEqual({
        route: label(route),
        summary: route.summary,
      });
      expect(operation?.tags).toEqual([route.tag]);
      expect(Object.keys(operation?.responses ?? {}).length).toBeGreaterThan(0);
    }
    const ids = operations.map(({ operation }) => operation?.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('postAuthUsersByCognitoSubWearSessions');
  });

  it('declares every path parameter in the route’s params schema, and documents it', () => {
    for (const { route, operation } of operations) {
      const names = pathParamNames(route.path);
      const declared = route.params ? Object.keys(jsonSchema(route.params, 'input').properties ?? {}) : [];
      expect({ route: label(route), undeclared: names.filter((name) => !declared.includes(name)) }).toEqual({
        route: label(route),
        undeclared: [],
      });
      for (const name of names) {
        const parameter = operation?.parameters?.find((p) => p.in === 'path' && p.name === name);
        expect({ route: label(route), name, parameter }).toEqual({
          route: label(route),
          name,
          parameter: expect.objectContaining({
            required: true,
            schema: jsonSchema(route.params!, 'input').properties?.[name],
          }),
        });
      }
    }
  });

  it('documents every query parameter with its schema and required flag', () => {
    for (const { route, operation } of operations.filter(({ route }) => route.query)) {
      const query = jsonSchema(route.query!, 'input');
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        const parameter = operation?.parameters?.find((p) => p.in === 'query' && p.name === name);
        expect({ route: label(route), name, parameter }).toEqual({
          route: label(route),
          name,
          parameter: expect.objectContaining({ schema, required: (query.required ?? []).includes(name) }),
        });
      }
    }
  });

  it('documents every request body with the schema that validates it (JSON)', () => {
    for (const { route, operation } of operations) {
      const body = operation?.requestBody?.content['application/json']?.schema;
      expect({ route: label(route), body }).toEqual({
        route: label(route),
        body: route.body ? jsonSchema(route.body, 'input') : undefined,
      });
    }
  });

  it('documents every declared response: its schema as JSON, errors as problem documents', () => {
    for (const { route, operation } of operations) {
      for (const [status, spec] of Object.entries(route.responses)) {
        const response = operation?.responses[status];
        const expected = spec.schema
          ? { 'application/json': { schema: jsonSchema(spec.schema, 'output') } }
          : spec.mediaType
            ? { [spec.mediaType]: { schema: { type: 'string' } } }
            : Number(status) >= 400
              ? { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
              : undefined;
        expect({ route: label(route), status, content: response?.content }).toEqual({
          route: label(route),
          status,
          content: expected,
        });
        expect(response?.description).toContain(spec.description);
      }
    }
    expect(document.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    });
  });

  it('states each route’s authentication', () => {
    const expected = {
      jwt: [{ bearerAuth: [] }],
      api_key: [{ apiKey: [] }],
      hubspot_signature: [{ hubspotSignature: [] }],
      none: [],
    };
    for (const { route, operation } of operations)
      expect({ route: label(route), security: operation?.security }).toEqual({
        route: label(route),
        security: expected[route.auth],
      });
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
      hubspotSignature: expect.objectContaining({
        type: 'apiKey',
        in: 'header',
        name: 'X-HubSpot-Signature-v3',
      }),
    });
  });

  it('names its server relatively, and describes every tag', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(document.tags.map((tag) => tag.name)).toEqual([...new Set(documented.map((route) => route.tag))]);
    expect(document.tags.filter((tag) => !tag.description).map((tag) => tag.name)).toEqual([]);
  });

  it('gives every date-only field, in bodies, queries and responses, `format: date`', () => {
    const undated: string[] = [];
    const visit = (value: unknown, where: string): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, item] of Object.entries(value)) {
        visit(item, `${where}/${key}`);
        if (!/\/properties$/.test(where) || !/(_on|^date)$/.test(key)) continue;
        const schema = item as { format?: string; anyOf?: Array<{ format?: string }> };
        const formats = [schema.format, ...(schema.anyOf ?? []).map((option) => option.format)];
        if (!formats.includes('date')) undated.push(`${where}/${key}`);
      }
    };
    visit(document, '#');
    expect(undated).toEqual([]);
    const statsQuery = operations
      .find(({ route }) => route.path.endsWith('/wear-stats'))
      ?.operation?.parameters?.filter((parameter) => parameter.in === 'query');
    expect(
      statsQuery?.map((parameter) => [parameter.name, (parameter.schema as { format?: string }).format]),
    ).toEqual([
      ['from', 'date'],
      ['to', 'date'],
    ]);
    const treatment = document.paths['/auth/users/{cognito_sub}/treatment']?.put?.requestBody?.content[
      'application/json'
    ]?.schema as { properties: Record<string, { format?: string }> };
    expect(treatment.properties.started_on?.format).toBe('date');
  });

  it('declares /metrics as text/plain (the Prometheus exposition format)', () => {
    const metrics = operations.find(({ route }) => route.path === '/metrics')?.operation;
    expect(metrics?.responses['200']?.content).toEqual({
      'text/plain': { schema: { type: 'string' } },
    });
  });

  it('offers Idempotency-Key, and its 409/422 answers, on exactly the idempotent routes', () => {
    const offers = (operation: Operation | undefined) => ({
      header: (operation?.parameters ?? []).some((p) => p.$ref === '#/components/parameters/IdempotencyKey'),
      inUse: operation?.responses['409']?.description.includes('idempotency_key_in_use') ?? false,
      reused: operation?.responses['422']?.description.includes('idempotency_key_reused') ?? false,
    });
    for (const { route, operation } of operations) {
      const idempotent = Boolean(route.idempotent);
      expect({ route: label(route), ...offers(operation) }).toEqual({
        route: label(route),
        header: idempotent,
        inUse: idempotent,
        reused: idempotent,
      });
    }
    expect(document.components.parameters.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  });
});

describe('buildOpenApiDocument', () => {
  const route = (overrides: Partial<AnyRoute>): AnyRoute =>
    defineRoute({
      method: 'post',
      path: '/test/things/:id',
      summary: 'Test',
      tag: 'test',
      auth: 'none',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'OK' } },
      handler: async () => undefined,
      ...overrides,
    } as AnyRoute);

  it('moves shared and recursive schemas to components, keeping the document valid', async () => {
    const tree: ZodType = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));
    const money = z.object({ amount: z.int(), currency: z.string() }).meta({ id: 'TestMoney' });
    const built = buildOpenApiDocument(
      [
        route({ body: z.object({ tree, price: money, fee: money }) }),
        route({ method: 'put', body: z.object({ tree }) }),
      ],
      '1.0.0',
    );
    expect(Object.keys(built.components.schemas)).toEqual(expect.arrayContaining(['TestMoney', 'Problem']));
    expect(JSON.stringify(built)).not.toContain('#/$defs/');
    expect((await new Validator().validate(built as unknown as Record<string, unknown>)).valid).toBe(true);
  });

  it('refuses, naming the route, a schema OpenAPI cannot express', () => {
    expect(() => buildOpenApiDocument([route({ body: z.object({ when: z.date() }) })], '1.0.0')).toThrow(
      /POST \/test\/things\/:id/,
    );
  });
});

describe('the route table', () => {
  // jwt and api_key are enforced for their whole prefix, the HubSpot signature per
  // route: a declaration that differs would be documented wrongly or left open.
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  const expectedAuth = (path: string) =>
    under(path, '/auth')
      ? 'jwt'
      : under(path, '/internal')
        ? 'api_key'
        : under(path, '/public')
          ? 'hubspot_signature'
          : 'none';

  it('declares for every route the authentication its prefix enforces', () => {
    const mismatched = routes
      .filter((route) => route.auth !== expectedAuth(route.path))
      .map((route) => `${label(route)}: ${route.auth}`);
    expect(mismatched).toEqual([]);
  });

  it('takes Idempotency-Key on every mobile POST, and only for signed-in users', () => {
    const mobilePosts = routes.filter(
      (route) => route.method === 'post' && route.path.startsWith('/auth/users/:cognito_sub/'),
    );
    expect(mobilePosts.length).toBeGreaterThan(0);
    expect(mobilePosts.filter((route) => !route.idempotent).map(label)).toEqual([]);
    expect(routes.filter((route) => route.idempotent && route.auth !== 'jwt').map(label)).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI rendering /openapi.json, with its files from this server', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets).toEqual(
      expect.arrayContaining([
        '/docs/assets/swagger-ui.css',
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/assets/docs-initializer.js',
      ]),
    );
    expect(assets.every((asset) => asset.startsWith('/docs/assets/'))).toBe(true);

    const types: Record<string, RegExp> = { css: /^text\/css/, js: /^text\/javascript/, png: /^image\/png$/ };
    for (const asset of assets) {
      const response = await app.request(asset);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.headers.get('content-type')).toMatch(types[asset.split('.').pop() as string] as RegExp);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const initializer = await (await app.request('/docs/assets/docs-initializer.js')).text();
    expect(initializer).toContain("url: '/openapi.json'");
  });

  it('renders every operation in a real browser, fetching nothing from elsewhere', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${app.url}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 15000 });
      expect(await page.locator('.opblock').count()).toBe(documented.length);
      expect(await page.locator('.info .title').innerText()).toContain('Aligner Tracker API');
      expect(errors).toEqual([]);
      expect(requested.filter((url) => !url.startsWith(app.url) && !url.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30000);

  it('serves the package’s own files byte for byte', async () => {
    const response = await app.request('/docs/assets/swagger-ui-bundle.js');
    const onDisk = readFileSync(path.join(PROJECT_ROOT, 'node_modules/swagger-ui-dist/swagger-ui-bundle.js'));
    expect(Buffer.from(await response.arrayBuffer()).equals(onDisk)).toBe(true);
  });

  it.each([
    ['an unknown name', '/docs/assets/nope.js'],
    ['a package file not on the list', '/docs/assets/index.html'],
    ['an encoded traversal', '/docs/assets/..%2F..%2F..%2Fpackage.json'],
  ])('answers 404 for %s', async (_case, url) => {
    const response = await app.request(url);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  // Sent over a raw socket: fetch would resolve the dot segments before sending.
  it.each([
    '/docs/assets/../../../package.json',
    '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/docs/assets/..%5c..%5cpackage.json',
    '/docs/assets/%E0%A4%A',
  ])('answers 404 for the raw path %s', async (rawPath) => {
    const { port } = new URL(app.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(404);
  });
});

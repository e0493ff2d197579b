// Values "from and around" a route's zod schemas, for the hostile-input fuzz: each schema
// is converted to JSON Schema (the same conversion the OpenAPI document uses) and walked,
// giving valid values, values at and just past each bound, and values of the wrong
// kind altogether. Nothing here names a route: a route added later is covered as is.
import fc from 'fast-check';
import { z, type ZodType } from 'zod';

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

export function jsonSchemaOf(schema: ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** A JSON text fragment written verbatim (`-0`, `1e400`: values JSON.stringify cannot produce). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, plus RawJson fragments (natively: a recursive serializer would not survive depth 5000). */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text =
    JSON.stringify(value, (_key, item: unknown) => {
      if (!(item instanceof RawJson)) return item;
      raws.push(item.text);
      return `\u0001raw${raws.length - 1}\u0001`;
    }) ?? 'null';
  return raws.length === 0
    ? text
    : text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** What the generators may name that exists (read when a value is generated, so a re-seeded world is seen). */
export interface Hints {
  emails(): string[];
  /** Existing object ids for a path parameter (`images`, `wear-sessions`… by the segment before it). */
  ids(collection: string | undefined): string[];
  dentistIds(): number[];
}

const pick = <T>(list: () => readonly T[], fallback: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.nat().chain((n) => {
    const items = list();
    return items.length > 0 ? fc.constant(items[n % items.length]!) : fallback;
  });

// ---------------------------------------------------------------------------------------
// Hostile values, whatever the schema says.

export const ONE_MB = 1024 * 1024;

// As JSON text: a JavaScript value this deep would overflow the serializer's stack in the test itself.
const deepText = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** An object with an own `__proto__` key, as JSON.parse makes one. */
const protoPolluter = JSON.parse(
  '{"__proto__":{"polluted":true,"isAdmin":true},"constructor":{"prototype":{}}}',
);

export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800', // lone high surrogate
  'a\udfffb', // lone low surrogate
  '\udbff\udfff', // the last code point, as a valid pair
  '\u202eevil\u202c', // right-to-left override
  'שלום עולם',
  'مرحبا بالعالم',
  '\ufeffbom',
  'zero\u200bwidth',
  'Z̤͔ͧ̑̓ä͖̭̈̇l͖͎g̞̥͈o̦̓',
  '😀',
  '👩‍👩‍👧‍👦',
  "' OR 1=1 --",
  "'; drop table users; --",
  '" OR ""="',
  '1) or (1=1',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  '%2e%2e%2f',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '-1e308',
  '0x10',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  '\r\nx-injected: 1',
  'x'.repeat(10_000),
];

/** JSON values of every wrong kind, at every size (the 1 MB one is over the body limit). */
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 2,
  new RawJson('-0'),
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('1e-400'),
  new RawJson('123456789012345678901234567890'),
  [],
  {},
  [null],
  [[[]]],
  protoPolluter,
  new RawJson(deepText(5000, '{"a":', '}')),
  new RawJson(deepText(5000, '[', ']')),
  new Array(100_000).fill(0),
  'z'.repeat(64 * 1024),
  'y'.repeat(ONE_MB + 1),
  ...HOSTILE_STRINGS,
];

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_VALUES), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

// ---------------------------------------------------------------------------------------
// Values from a schema.

type Mode = 'valid' | 'mixed';

// Mostly recent days, so that pairs (from/to, started_on/current_aligner_started_on) often make sense.
const recentDay = fc
  .integer({ min: -120, max: 3 })
  .map((offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10));

export class SchemaArbitraries {
  constructor(
    private readonly root: JsonSchema,
    private readonly hints: Hints,
  ) {}

  private resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    const target = this.root.$defs?.[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  private types(schema: JsonSchema): string[] {
    if (Array.isArray(schema.type)) return schema.type;
    return schema.type ? [schema.type] : [];
  }

  /** Values the schema accepts (as far as JSON Schema says: refinements are not seen). */
  valid(input: JsonSchema, name = ''): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((option) => this.valid(option, name)));
    if (schema.allOf?.[0]) return this.valid(schema.allOf[0], name);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.const !== undefined) return fc.constant(schema.const);
    const types = this.types(schema);
    if (types.length > 1) return fc.oneof(...types.map((type) => this.valid({ ...schema, type }, name)));
    switch (types[0]) {
      case 'object':
        return this.object(schema, 'valid');
      case 'array':
        return fc.array(this.valid(schema.items ?? {}), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
        });
      case 'integer':
        return fc.integer({
          min: Math.max(schema.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER),
          max: Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER),
        });
      case 'number':
        return fc.double({
          min: schema.minimum ?? -1e6,
          max: schema.maximum ?? 1e6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'string':
        return this.validString(schema, name);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private validString(schema: JsonSchema, name: string): fc.Arbitrary<string> {
    const max = schema.maxLength ?? 200;
    const fits = (value: string) => value.length >= (schema.minLength ?? 0) && value.length <= max;
    if (schema.format === 'email')
      return fc.oneof(
        pick(this.hints.emails, fc.emailAddress()),
        fc.emailAddress().filter(fits),
        fc.constantFrom('A.Person+tag@Example.COM', "o'brien@example.co.uk"),
      );
    if (schema.format === 'uuid')
      return fc.oneof(
        pick(() => this.hints.ids(name), fc.uuid()),
        fc.uuid(),
        fc.uuid({ version: 4 }),
      );
    if (schema.format === 'date') return recentDay;
    if (schema.format === 'date-time')
      return fc
        .tuple(
          fc.date({
            min: new Date('1999-06-01'),
            max: new Date(Date.now() + 86_400_000),
            noInvalidDate: true,
          }),
          fc.constantFrom('Z', '+00:00', '+05:30', '-08:00', '.000Z'),
        )
        .map(([date, zone]) => date.toISOString().replace(/\.\d{3}Z$/, zone));
    if (schema.pattern) {
      // Zod writes its regexes for JavaScript; fast-check generates strings matching one.
      return fc.stringMatching(new RegExp(schema.pattern), { maxLength: max }).filter(fits);
    }
    return fc.oneof(this.plausibleString(name), fc.string({ maxLength: Math.min(max, 30) })).filter(fits);
  }

  /** Strings a field with no format may want: dates, zones, words; by its name where that helps. */
  private plausibleString(name: string): fc.Arbitrary<string> {
    const zone = fc.constantFrom('Europe/London', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Etc/GMT+12');
    const word = fc.constantFrom('Sam', 'Leeds', 'Dr Who', 'en', 'en-GB', 'front', 'moved house');
    if (/(_on|^from|^to|date)$/.test(name)) return recentDay;
    if (/zone/.test(name)) return zone;
    return fc.oneof(recentDay, zone, word);
  }

  /** Values at and just past each bound of the schema, and of its neighbouring types. */
  boundary(input: JsonSchema, name = ''): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((option) => this.boundary(option, name)));
    const values: unknown[] = [null];
    if (schema.enum) {
      for (const value of schema.enum)
        if (typeof value === 'string') values.push(value.toUpperCase(), ` ${value}`, `${value}\u0000`);
      values.push('', 0);
    }
    for (const type of this.types(schema)) {
      if (type === 'integer' || type === 'number') {
        const min = schema.minimum ?? schema.exclusiveMinimum;
        const max = schema.maximum ?? schema.exclusiveMaximum;
        if (min !== undefined) values.push(min, min - 1, min + 0.5, String(min));
        if (max !== undefined) values.push(max, max + 1, max - 0.5, String(max));
        values.push(0, -1, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2, new RawJson('-0'), new RawJson('1e400'));
        values.push('NaN', 'Infinity', '1e308', '', true);
      }
      if (type === 'string') {
        const max = schema.maxLength ?? 256;
        const min = schema.minLength ?? 0;
        values.push('', 'x'.repeat(max), 'x'.repeat(max + 1), '😀'.repeat(Math.ceil(max / 2)));
        if (min > 0) values.push('x'.repeat(min), 'x'.repeat(min - 1));
        values.push(' padded ', 0, [], {}, ...HOSTILE_STRINGS);
      }
      if (type === 'boolean') values.push('true', 'false', 1, 0, []);
      if (type === 'array') {
        const maxItems = schema.maxItems ?? 1000;
        values.push([], {}, 'not a list', new Array(maxItems + 1).fill({}), new Array(100_000).fill(0));
      }
      if (type === 'object') values.push([], 'not an object', 0, protoPolluter);
    }
    return fc.constantFrom(...values);
  }

  /** A field's value: mostly valid, sometimes at a bound, now and then hostile. */
  value(schema: JsonSchema, name = ''): fc.Arbitrary<unknown> {
    return fc.oneof(
      { arbitrary: this.valid(schema, name), weight: 12 },
      { arbitrary: this.boundary(schema, name), weight: 3 },
      { arbitrary: hostileValue, weight: 1 },
    );
  }

  private object(schema: JsonSchema, mode: Mode): fc.Arbitrary<Record<string, unknown>> {
    const properties = schema.properties ?? {};
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, property] of Object.entries(properties))
      model[key] = mode === 'valid' ? this.valid(property, key) : this.value(property, key);
    const required = (schema.required ?? []).filter((key) => key in properties);
    const record = fc.record(model, { requiredKeys: mode === 'valid' ? required : [] });
    if (mode === 'valid') return record;
    // Unknown keys: some meant to smuggle state in (`user_id`, `__proto__`), some only odd.
    const extra = fc.oneof(
      { arbitrary: fc.constant(null), weight: 4 },
      {
        arbitrary: fc.tuple(
          fc.constantFrom(
            'user_id',
            'id',
            'status',
            'object_key',
            '__proto__',
            'constructor',
            '',
            'x'.repeat(300),
          ),
          hostileValue,
        ),
        weight: 1,
      },
    );
    return fc.tuple(record, extra).map(([base, more]) => {
      if (!more) return base;
      const withExtra = { ...base };
      Object.defineProperty(withExtra, more[0], { value: more[1], enumerable: true, writable: true });
      return withExtra;
    });
  }

  /** A whole body or query: valid, field by field mixed, or not even the right shape. */
  document(): fc.Arbitrary<unknown> {
    const schema = this.resolve(this.root);
    const types = this.types(schema);
    const mixed =
      types[0] === 'object'
        ? this.object(schema, 'mixed')
        : types[0] === 'array'
          ? fc.array(this.value(schema.items ?? {}), { maxLength: 4 })
          : this.value(schema);
    return fc.oneof(
      { arbitrary: this.valid(schema), weight: 5 },
      { arbitrary: mixed, weight: 4 },
      { arbitrary: this.boundary(schema), weight: 1 },
      { arbitrary: hostileValue, weight: 1 },
    );
  }
}

// ---------------------------------------------------------------------------------------
// Raw bodies: text that is not what JSON.stringify would write.

export const RAW_BODIES: readonly (string | Buffer)[] = [
  '',
  ' ',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  'nul',
  'NaN',
  '[1,2',
  '"unterminated',
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '{"__proto__":{"polluted":true}}',
  '00012',
  '-0',
  '1e400',
  'null',
  'true',
  '"a string"',
  '[]',
  deepText(5000, '{"a":', '}'),
  deepText(5000, '[', ']'),
  // Deeper than any recursive parser or serializer copes with, and still under 1 MB.
  deepText(200_000, '[', ']'),
  deepText(100_000, '{"a":', '}'),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]), // invalid UTF-8
  Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]), // the start of a gzip stream
];

/** A generated body with something added inside it: an extra key at a given depth of nesting. */
export function withDeepExtra(json: string, depth: number): string {
  const deep = deepText(depth, '[', ']');
  if (json.startsWith('{')) return `{"zz_deep":${deep}${json === '{}' ? '' : ','}${json.slice(1)}`;
  if (json.startsWith('[{')) return `[{"zz_deep":${deep}${json.startsWith('[{}') ? '' : ','}${json.slice(2)}`;
  return json;
}

// ---------------------------------------------------------------------------------------
// Path segments and query strings, percent-encoded by hand: encodeURIComponent throws on
// lone surrogates, which are encoded here as their (invalid) three-byte UTF-8 forms.

export function encodeComponent(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff)
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f))
        .toString(16)
        .toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(char);
  }
  return out;
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Already encoded (or deliberately badly encoded) segments, sent as they are. */
export const RAW_SEGMENTS: readonly string[] = [
  '..',
  '.',
  '../',
  '..%2F',
  '%2e%2e',
  '%2e%2e%2f',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '..%5C..%5C',
  '%2F',
  '%00',
  'a%00b',
  '%',
  '%25',
  '%ZZ',
  '%E0%A4%A',
  '%C0%AE%C0%AE',
  '%ED%A0%80',
  '%EF%BF%BF',
  '%20',
  '-1',
  '0',
  '-0',
  '1e308',
  'NaN',
  'Infinity',
  '99999999999999999999999999',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '%41'.repeat(600),
  'a'.repeat(2000),
];

/**
 * Request lines stay under Node's 16 KB header limit: past it Node itself answers 431
 * without the app (and so without a problem document), which says nothing of the app.
 */
export const MAX_URL_PART = 2000;

export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...RAW_SEGMENTS), weight: 3 },
  {
    arbitrary: fc
      .constantFrom(...HOSTILE_STRINGS.filter((value) => value.length <= MAX_URL_PART))
      .map(encodeComponent),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(encodeComponent), weight: 1 },
);

/** Opaque cursors as this API makes them (base64url of a JSON array), holding what no page ever returns. */
const cursorLike: fc.Arbitrary<string> = fc
  .constantFrom<unknown[]>(
    [],
    ['x'],
    ['x', 'y'],
    ['\u0000', '00000000-0000-0000-0000-000000000000'],
    ['2026-01-01T00:00:00.000000Z', '\u0000'],
    ['2026-01-01T00:00:00.000000Z', 'not-a-uuid'],
    ['99999-01-01', '00000000-0000-0000-0000-000000000000'],
    ['\ud800', '\ud800'],
    [1e308, -1e308],
    ["' OR 1=1 --", "' OR 1=1 --"],
    ['Sam', 'x'.repeat(300)],
    ['Sam', 2 ** 53 + 2],
    [2 ** 31, 'a'],
    ['2026-01-01', 'x', 'y'],
    [null, null],
    [{}, []],
  )
  .map((key) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url'));

const RAW_QUERY_VALUES = ['%', '%ZZ', '%00', '%E0%A4%A', '%ED%A0%80', '%2e%2e%2f', '', '+', '%20'];

/** One query value for a property of a query schema, already encoded. */
export function queryValue(arbs: SchemaArbitraries, schema: JsonSchema, name: string): fc.Arbitrary<string> {
  const asText = (value: unknown) =>
    typeof value === 'string' ? value : value instanceof RawJson ? value.text : toJson(value);
  const encoded = (arbitrary: fc.Arbitrary<unknown>) =>
    arbitrary.map((value) => encodeComponent(asText(value).slice(0, MAX_URL_PART)));
  return fc.oneof(
    { arbitrary: encoded(arbs.valid(schema, name)), weight: 6 },
    { arbitrary: encoded(arbs.boundary(schema, name)), weight: 3 },
    { arbitrary: name === 'cursor' ? cursorLike : encoded(hostileValue), weight: 2 },
    { arbitrary: fc.constantFrom(...RAW_QUERY_VALUES), weight: 1 },
  );
}

/**
 * A query string for a query schema: each known key absent, once, repeated, or in
 * `key[]` form; now and then an unknown key or plain junk.
 */
export function queryString(arbs: SchemaArbitraries | undefined, schema: JsonSchema | undefined) {
  const junk = fc.constantFrom(
    '',
    '',
    '',
    '%=%&&=&==',
    '__proto__[x]=1',
    'constructor=1&toString=2',
    'a=1&a=2&a=3',
  );
  if (!arbs || !schema?.properties) return junk;
  const parts = Object.entries(schema.properties).map(([name, property]) =>
    fc.option(
      fc.oneof(
        { arbitrary: queryValue(arbs, property, name).map((value) => [`${name}=${value}`]), weight: 6 },
        {
          arbitrary: fc
            .array(queryValue(arbs, property, name), { minLength: 2, maxLength: 3 })
            .map((values) => values.map((value) => `${name}=${value}`)),
          weight: 1,
        },
        { arbitrary: queryValue(arbs, property, name).map((value) => [`${name}[]=${value}`]), weight: 1 },
      ),
      { freq: 2 },
    ),
  );
  return fc
    .tuple(fc.tuple(...parts), junk)
    .map(([chosen, extra]) => [...chosen.flatMap((part) => part ?? []), ...(extra ? [extra] : [])].join('&'));
}

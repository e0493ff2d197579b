import { z, type ZodType } from 'zod';

export type JsonSchema = Record<string, unknown>;

const LOCAL_DEF = '#/$defs/';
const COMPONENT = '#/components/schemas/';

/**
 * The document's `components.schemas`. A zod conversion puts shared and recursive parts
 * in a local `$defs`; inside an OpenAPI document `#/$defs/…` would point at the
 * document's root, so they move here and their references follow.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  /** The document's `components.responses`: answers many operations share, by name. */
  readonly responses: Record<string, unknown> = {};
  #anonymous = 0;

  add(name: string, schema: JsonSchema): string {
    const existing = this.schemas[name];
    // The same registered id met again (from another route) is the same schema; two that differ are a bug.
    if (existing && JSON.stringify(existing) !== JSON.stringify(schema))
      throw new Error(`two different schemas are both named ${name}`);
    this.schemas[name] = schema;
    return name;
  }

  /** A registered id (`.meta({ id })`) names one schema; zod's generated names do not. */
  nameFor(defName: string): string {
    if (!defName.startsWith('__schema')) return defName;
    do this.#anonymous += 1;
    while (`Schema${this.#anonymous}` in this.schemas);
    return `Schema${this.#anonymous}`;
  }
}

function rewriteRefs(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, names));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key !== '$ref' || typeof item !== 'string') return [key, rewriteRefs(item, names)];
      const target = item.startsWith(LOCAL_DEF) ? names.get(item.slice(LOCAL_DEF.length)) : undefined;
      // `#` (a schema referring to itself at its root) has no place in a document: refuse at build time.
      if (!target) throw new Error(`unsupported $ref in a generated schema: ${item}`);
      return [key, `${COMPONENT}${target}`];
    }),
  );
}

/**
 * JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema: `input` for what a
 * client sends (before defaults and coercion), `output` for what the API answers.
 * Throws for a schema JSON Schema cannot express, so a bad route fails at start-up.
 */
export function toJsonSchema(
  schema: ZodType,
  io: 'input' | 'output',
  components: SchemaComponents,
): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as JsonSchema;
  const { $schema: _dialect, $defs, ...json } = converted;
  if (!$defs) return json;
  const defs = $defs as Record<string, JsonSchema>;
  const names = new Map(Object.keys(defs).map((name) => [name, components.nameFor(name)]));
  for (const [name, def] of Object.entries(defs))
    components.add(names.get(name) as string, rewriteRefs(def, names) as JsonSchema);
  return rewriteRefs(json, names) as JsonSchema;
}

import fc from 'fast-check';

/** The JSON Schema keywords openapi.yaml uses, and what each becomes as a fast-check arbitrary. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  default?: unknown;
}

/** Values that fit the schema (what a careful client sends), through `$ref`s into `root`. */
export function valid(schema: Schema, root: { components?: { schemas?: Record<string, Schema> } }): fc.Arbitrary<unknown> {
  if (schema.$ref) return valid(root.components!.schemas![schema.$ref.split('/').pop()!]!, root);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'string':
      if (schema.pattern) {
        const max = Math.min(schema.maxLength ?? 64, 64);
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= max);
      }
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 64, 64) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(schema.items ?? {}, root), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, valid(v, root)]));
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) });
    }
    default:
      return fc.jsonValue();
  }
}

/**
 * What a careless or hostile client sends instead: the valid value with one key dropped, retyped,
 * swapped for junk or made huge, an extra key, or any JSON at all.
 */
export function mutated(schema: Schema, root: Parameters<typeof valid>[1]): fc.Arbitrary<unknown> {
  const junk = fc.oneof(
    fc.jsonValue(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', '%', '%25', '../../etc/passwd', "'; DROP TABLE x; --", '\u0000', 'a'.repeat(5000), '😀'.repeat(300), -1, 1e308, null, true, [], {}),
  );
  return fc.oneof(
    fc.tuple(valid(schema, root), fc.string({ maxLength: 12 }), junk).map(([value, key, bad]) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return bad;
      const keys = Object.keys(value);
      const target = keys.length ? keys[Math.abs(key.length * 7919) % keys.length]! : key;
      const copy = { ...(value as Record<string, unknown>) };
      if (key.length % 3 === 0) delete copy[target];
      else copy[key.length % 3 === 1 ? target : `${key}x`] = bad;
      return copy;
    }),
    junk,
  );
}

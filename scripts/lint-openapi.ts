import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * `npm run lint` checks openapi.yaml: a valid OpenAPI 3.1 document whose $refs all resolve, and
 * whose every schema compiles under strict JSON Schema 2020-12 (the document schema alone
 * accepts a misspelt type).
 */
const validator = new Validator();
const result = await validator.validate('openapi.yaml');
if (!result.valid) {
  console.error('openapi.yaml is not a valid OpenAPI document:');
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
if (validator.version !== '3.1') {
  console.error(`openapi.yaml must be OpenAPI 3.1, found ${validator.version}`);
  process.exit(1);
}
const spec = validator.resolveRefs() as { components?: { schemas?: Record<string, object> } };
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
let failed = 0;
for (const [name, schema] of Object.entries(spec.components?.schemas ?? {})) {
  try {
    ajv.compile(schema);
  } catch (err) {
    failed++;
    console.error(`openapi.yaml: schema ${name}: ${(err as Error).message}`);
  }
}
if (failed) process.exit(1);
console.log(`openapi.yaml: valid OpenAPI ${validator.version}, ${Object.keys(spec.components?.schemas ?? {}).length} schemas compile`);

import * as z from 'zod/mini';
import type { ServiceType } from '../../shared/contract/types.ts';
import { PLUGINS } from './plugins/registry.ts';

type JsonSchema = { properties?: Record<string, { default?: unknown }>; required?: string[] };

/**
 * What the fleet rotator serves, as the API shows it (GET /v1/service-types): each plugin's
 * engines, keys and defaults read from its own schema through JSON Schema, its strategies and
 * password policy. The plugins stay the one definition.
 */
export function serviceTypeCatalog(): ServiceType[] {
  return PLUGINS.map((plugin) => {
    const schema = z.toJSONSchema(plugin.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const properties = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    const defaults = Object.fromEntries(Object.entries(properties).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
    return {
      name: plugin.name,
      engines: [...plugin.engines],
      requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
      optionalKeys: Object.keys(properties).filter((k) => !required.has(k)),
      defaults,
      strategies: [...plugin.strategies],
      passwordPolicy: { ...plugin.passwordPolicy },
    };
  });
}

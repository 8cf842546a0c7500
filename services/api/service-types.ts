import { PLUGINS } from '../rotator/plugins/registry.ts';
import type { ServicePlugin } from '../rotator/types.ts';

interface SchemaNode {
  _zod: { def: { type: string; shape?: Record<string, SchemaNode>; in?: SchemaNode; innerType?: SchemaNode; defaultValue?: unknown }; optin?: string };
}

/** Reads required keys, optional keys and defaults off a plugin's schema: the schema stays the one definition. */
function keysOf(plugin: ServicePlugin) {
  let node = plugin.schema as unknown as SchemaNode;
  while (node._zod.def.type === 'pipe' && node._zod.def.in) node = node._zod.def.in;
  const shape = node._zod.def.shape ?? {};
  const requiredKeys: string[] = [];
  const optionalKeys: string[] = [];
  const defaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const hasDefault = field._zod.def.type === 'default';
    if (hasDefault) defaults[key] = field._zod.def.defaultValue;
    if (hasDefault || field._zod.optin === 'optional') optionalKeys.push(key);
    else requiredKeys.push(key);
  }
  return { requiredKeys, optionalKeys, defaults };
}

export function serviceTypes() {
  return PLUGINS.map((plugin) => ({
    name: plugin.name,
    engines: [...plugin.engines],
    ...keysOf(plugin),
    strategies: [...plugin.strategies],
    passwordPolicy: { ...plugin.passwordPolicy },
  }));
}

import { RotationError } from '../../shared/errors/rotation-error.ts';
import { TAGS } from '../../shared/names.ts';
import type { Credential, ServicePlugin } from './types.ts';

export interface ParsedSecret {
  plugin: ServicePlugin;
  credential: Credential;
  /** The value's keys as stored, so a new version keeps every key the secret had (dbname, masterarn, ...). */
  raw: Record<string, unknown>;
}

type Issue = { code: string; path: PropertyKey[]; expected?: string; origin?: string; format?: string };

/** Says what is wrong with a key without ever quoting the value (it may be the password, or anything). */
function describeIssue(issue: Issue, object: Record<string, unknown>): string {
  const key = issue.path.map(String).join('.') || '(value)';
  const top = issue.path[0];
  if (issue.path.length === 1 && typeof top === 'string' && !(top in object)) return `"${key}" is missing`;
  switch (issue.code) {
    case 'invalid_type':
      return `"${key}" is not a ${issue.expected === 'number' ? 'number' : (issue.expected ?? 'valid value')}`;
    case 'too_small':
      return `"${key}" is too ${issue.origin === 'string' ? 'short' : 'small'}`;
    case 'too_big':
      return `"${key}" is too ${issue.origin === 'string' ? 'long' : 'large'}`;
    case 'invalid_format':
      return `"${key}" is not a valid ${issue.format ?? 'value'}`;
    case 'invalid_value':
      return `"${key}" is not one of the accepted values`;
    default:
      return `"${key}" is invalid`;
  }
}

/**
 * Parses one version's value into a checked credential for its service type. Errors name the
 * version and the keys; they never quote a value, not even a bogus engine name.
 */
export function parseSecret(raw: string | undefined, which: string, pluginFor: (engine: string) => ServicePlugin | undefined, defaultEngine?: string): ParsedSecret {
  if (raw === undefined) throw new RotationError('InvalidSecret', `the ${which} version has no value`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new RotationError('InvalidSecret', `the ${which} value is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RotationError('InvalidSecret', `the ${which} value is not a JSON object`);
  const given = value as Record<string, unknown>;
  const object = typeof given.engine === 'string' || !defaultEngine ? given : { ...given, engine: defaultEngine };
  const engine = object.engine;
  if (typeof engine !== 'string') {
    throw new RotationError('InvalidSecret', `the ${which} value has no "engine" key naming the service type (nor is the secret tagged ${TAGS.serviceType})`);
  }
  const plugin = pluginFor(engine);
  if (!plugin) throw new RotationError('InvalidSecret', `the ${which} value's "engine" is not a service type the fleet rotator serves (GET /v1/service-types lists them)`);
  const parsed = plugin.schema.safeParse(object);
  if (!parsed.success) {
    const problems = (parsed.error.issues as Issue[]).map((issue) => describeIssue(issue, object));
    throw new RotationError('InvalidSecret', `the ${which} value does not fit ${plugin.name}: ${[...new Set(problems)].join(', ')}`);
  }
  return { plugin, credential: parsed.data, raw: object };
}

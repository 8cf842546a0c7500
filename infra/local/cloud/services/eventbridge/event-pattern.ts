import { BlockList, isIP } from 'node:net';
import { AwsError } from '../../errors.ts';

/**
 * EventBridge event patterns, as the EventBridge user guide and AWS's Event Ruler define them:
 * a pattern has the event's shape; every field it names must match (AND), each field's array
 * lists alternatives (OR), `$or` combines whole sub-patterns. A value matches exact JSON values,
 * or `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`,
 * `cidr`. An event array matches when any element does, and fields under one pattern object must
 * match within the same array element.
 *
 * Known difference: numbers compare by value (300 = 300.0), where EventBridge compares their JSON
 * text; the stored events this cloud matches no longer have that text.
 */

type Leaf =
  | { op: 'exact'; value: string | number | boolean | null }
  | { op: 'prefix' | 'suffix'; value: string; ignoreCase: boolean }
  | { op: 'equals-ignore-case'; value: string }
  | { op: 'wildcard'; regex: RegExp }
  | { op: 'anything-but'; not: Array<string | number> }
  | { op: 'anything-but-match'; leaf: Leaf }
  | { op: 'anything-but-ignore-case'; not: string[] }
  | { op: 'anything-but-wildcard'; not: RegExp[] }
  | { op: 'numeric'; conditions: Array<[string, number]> }
  | { op: 'exists'; value: boolean }
  | { op: 'cidr'; block: BlockList };

interface ObjectMatcher {
  fields: Array<[string, ObjectMatcher | Leaf[]]>;
  /** Each `$or`: the object matches when any alternative does. */
  ors: ObjectMatcher[][];
}

/** A validated pattern, ready to match events. */
export interface EventPattern {
  readonly root: ObjectMatcher;
  readonly text: string;
}

const invalid = (reason: string) => new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);

const lower = (s: string) => s.toLowerCase();
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Event Ruler's numeric range. */
const NUMERIC_LIMIT = 5e9;
const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

function wildcardRegex(pattern: string, at: string): RegExp {
  let source = '';
  let afterWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (afterWildcard) throw invalid(`Consecutive wildcard characters at "${at}"`);
      source += '.*';
      afterWildcard = true;
      continue;
    }
    afterWildcard = false;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw invalid(`Invalid escape in wildcard pattern at "${at}": only \\* and \\\\ may be escaped`);
      source += `\\${next}`;
      i++;
    } else {
      source += c.replace(/[.+?^${}()|[\]/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function stringOrIgnoreCase(value: unknown, op: string, at: string): { value: string; ignoreCase: boolean } {
  if (typeof value === 'string') return { value, ignoreCase: false };
  if (isObject(value) && Object.keys(value).length === 1 && typeof value['equals-ignore-case'] === 'string') {
    return { value: value['equals-ignore-case'] as string, ignoreCase: true };
  }
  throw invalid(`${op} match pattern must be a string (or equals-ignore-case) at "${at}"`);
}

function stringList(value: unknown, op: string, at: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (!list.length || !list.every((v) => typeof v === 'string')) throw invalid(`anything-but ${op} must be a string or a list of strings at "${at}"`);
  return list as string[];
}

function anythingBut(value: unknown, at: string): Leaf[] {
  if (typeof value === 'string' || typeof value === 'number') return [{ op: 'anything-but', not: [value] }];
  if (Array.isArray(value)) {
    const allStrings = value.every((v) => typeof v === 'string');
    const allNumbers = value.every((v) => typeof v === 'number');
    if (!value.length || !(allStrings || allNumbers)) throw invalid(`Inside anything-but list, all values must be of the same type: strings or numbers, at "${at}"`);
    return [{ op: 'anything-but', not: value as Array<string | number> }];
  }
  if (isObject(value) && Object.keys(value).length === 1) {
    const [op, operand] = Object.entries(value)[0]!;
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (typeof operand !== 'string') throw invalid(`anything-but ${op} must be a string at "${at}"`);
        return [{ op: 'anything-but-match', leaf: { op, value: operand, ignoreCase: false } }];
      case 'equals-ignore-case':
        return [{ op: 'anything-but-ignore-case', not: stringList(operand, op, at).map(lower) }];
      case 'wildcard':
        return [{ op: 'anything-but-wildcard', not: stringList(operand, op, at).map((p) => wildcardRegex(p, at)) }];
    }
  }
  throw invalid(`Value of anything-but must be an array or single string/number value, or an object with prefix, suffix, equals-ignore-case or wildcard, at "${at}"`);
}

function numeric(value: unknown, at: string): Leaf {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) throw invalid(`Value of numeric must be an array of one or two comparisons at "${at}"`);
  const conditions: Array<[string, number]> = [];
  for (let i = 0; i < value.length; i += 2) {
    const [op, operand] = [value[i], value[i + 1]];
    if (typeof op !== 'string' || !['=', '<', '<=', '>', '>='].includes(op)) throw invalid(`Unrecognized numeric range operator ${JSON.stringify(op)} at "${at}"`);
    if (typeof operand !== 'number' || Math.abs(operand) > NUMERIC_LIMIT) throw invalid(`Value of ${op} must be a number between -5.0E9 and 5.0E9 at "${at}"`);
    conditions.push([op, operand]);
  }
  if (conditions.length === 2) {
    const [a, b] = conditions as [[string, number], [string, number]];
    const lower = LOWER.has(a[0]) ? a : LOWER.has(b[0]) ? b : undefined;
    const upper = UPPER.has(a[0]) ? a : UPPER.has(b[0]) ? b : undefined;
    if (!lower || !upper) throw invalid(`A numeric range needs one lower bound (> or >=) and one upper bound (< or <=) at "${at}"`);
    if (lower[1] >= upper[1]) throw invalid(`Bottom must be less than top at "${at}"`);
  }
  return { op: 'numeric', conditions };
}

function leaf(element: unknown, at: string): Leaf[] {
  if (element === null || typeof element === 'string' || typeof element === 'number' || typeof element === 'boolean') return [{ op: 'exact', value: element }];
  if (!isObject(element)) throw invalid(`Match value must be String, number, true, false, null or an object at "${at}"`);
  const keys = Object.keys(element);
  if (keys.length !== 1) throw invalid(`A match object must have exactly one operator at "${at}"`);
  const op = keys[0]!;
  const operand = element[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const { value, ignoreCase } = stringOrIgnoreCase(operand, op, at);
      return [{ op, value, ignoreCase }];
    }
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw invalid(`equals-ignore-case match pattern must be a string at "${at}"`);
      return [{ op, value: operand }];
    case 'wildcard':
      if (typeof operand !== 'string') throw invalid(`wildcard match pattern must be a string at "${at}"`);
      return [{ op, regex: wildcardRegex(operand, at) }];
    case 'anything-but':
      return anythingBut(operand, at);
    case 'numeric':
      return [numeric(operand, at)];
    case 'exists':
      if (typeof operand !== 'boolean') throw invalid(`exists match pattern must be either true or false at "${at}"`);
      return [{ op, value: operand }];
    case 'cidr': {
      const match = typeof operand === 'string' ? /^(.+)\/(\d{1,3})$/.exec(operand) : null;
      const family = match ? isIP(match[1]!) : 0;
      const bits = Number(match?.[2]);
      if (!match || !family || bits > (family === 4 ? 32 : 128)) throw invalid(`Malformed CIDR ${JSON.stringify(operand)} at "${at}"`);
      const block = new BlockList();
      block.addSubnet(match[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
      return [{ op, block }];
    }
    default:
      throw invalid(`Unrecognized match type ${op} at "${at}"`);
  }
}

function compileObject(pattern: Record<string, unknown>, at: string): ObjectMatcher {
  const entries = Object.entries(pattern);
  if (!entries.length) throw invalid(`Empty objects are not allowed at "${at || '/'}"`);
  const matcher: ObjectMatcher = { fields: [], ors: [] };
  for (const [key, value] of entries) {
    const path = at ? `${at}.${key}` : key;
    if (key === '$or' && Array.isArray(value) && value.length >= 2 && value.every(isObject)) {
      matcher.ors.push(value.map((alternative) => compileObject(alternative, path)));
    } else if (Array.isArray(value)) {
      if (!value.length) throw invalid(`Empty arrays are not allowed at "${path}"`);
      matcher.fields.push([key, value.flatMap((element) => leaf(element, path))]);
    } else if (isObject(value)) {
      matcher.fields.push([key, compileObject(value, path)]);
    } else {
      throw invalid(`"${path}" must be an object or an array`);
    }
  }
  return matcher;
}

/** Validates a pattern as PutRule does (InvalidEventPatternException with the reason). */
export function parseEventPattern(text: string): EventPattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('the pattern is not valid JSON');
  }
  if (!isObject(parsed)) throw invalid('Filter is not an object');
  return { root: compileObject(parsed, ''), text };
}

/** The leaf values of a field: its value, or every non-object element of its (nested) arrays. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.flatMap(leafValues);
  return [value];
}

function matchesLeaf(leaf: Leaf, value: unknown): boolean {
  switch (leaf.op) {
    case 'exact':
      return value === leaf.value;
    case 'prefix':
      return typeof value === 'string' && (leaf.ignoreCase ? lower(value).startsWith(lower(leaf.value)) : value.startsWith(leaf.value));
    case 'suffix':
      return typeof value === 'string' && (leaf.ignoreCase ? lower(value).endsWith(lower(leaf.value)) : value.endsWith(leaf.value));
    case 'equals-ignore-case':
      return typeof value === 'string' && lower(value) === lower(leaf.value);
    case 'wildcard':
      return typeof value === 'string' && leaf.regex.test(value);
    case 'anything-but':
      return !leaf.not.includes(value as string | number);
    // Values that are not strings are not what a string test excludes, so they match.
    case 'anything-but-match':
      return typeof value !== 'string' || !matchesLeaf(leaf.leaf, value);
    case 'anything-but-ignore-case':
      return typeof value !== 'string' || !leaf.not.includes(lower(value));
    case 'anything-but-wildcard':
      return typeof value !== 'string' || !leaf.not.some((regex) => regex.test(value));
    case 'numeric':
      return typeof value === 'number' && leaf.conditions.every(([op, n]) => (op === '=' ? value === n : op === '<' ? value < n : op === '<=' ? value <= n : op === '>' ? value > n : value >= n));
    case 'cidr':
      return typeof value === 'string' && isIP(value) !== 0 && leaf.block.check(value, isIP(value) === 4 ? 'ipv4' : 'ipv6');
    case 'exists':
      return false;
  }
}

function matchesLeaves(leaves: Leaf[], value: unknown): boolean {
  const values = leafValues(value);
  return leaves.some((leaf) => (leaf.op === 'exists' ? leaf.value === values.length > 0 : values.some((v) => matchesLeaf(leaf, v))));
}

function matchesObject(matcher: ObjectMatcher, value: unknown): boolean {
  if (Array.isArray(value) && value.length) return value.some((element) => matchesObject(matcher, element));
  const object = isObject(value) ? value : undefined;
  for (const [key, sub] of matcher.fields) {
    const child = object && Object.hasOwn(object, key) ? object[key] : undefined;
    if (Array.isArray(sub) ? !matchesLeaves(sub, child) : !matchesObject(sub, child)) return false;
  }
  return matcher.ors.every((alternatives) => alternatives.some((alternative) => matchesObject(alternative, value)));
}

/** Whether the event (the JSON EventBridge delivers: version, id, detail-type, source, ...) matches. */
export function matchesEvent(pattern: EventPattern, event: unknown): boolean {
  return matchesObject(pattern.root, event);
}

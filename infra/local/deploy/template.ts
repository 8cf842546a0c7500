/**
 * Just enough of CloudFormation to apply the CDK app's synthesised templates to the local cloud:
 * parameters, conditions, the intrinsic functions CDK emits, exports between stacks, and the order
 * resources depend on each other. The embedded default thereby creates exactly what the stacks
 * define (tables, buses, rules, roles and their policies, functions, the state machine): one
 * definition for AWS and local.
 */

export interface Template {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

/** What a resource turned into once created: its Ref value and attributes (Fn::GetAtt). */
export interface Created {
  ref: string;
  attributes: Record<string, string>;
}

export interface Scope {
  account: string;
  region: string;
  partition: string;
  stackName: string;
  parameters: Record<string, string>;
  /** Exports of stacks applied before this one (Fn::ImportValue). */
  exports: Map<string, string>;
  created: Map<string, Created>;
  conditions: Record<string, boolean>;
}

export class TemplateError extends Error {}

const PSEUDO: Record<string, (s: Scope) => string> = {
  'AWS::AccountId': (s) => s.account,
  'AWS::Region': (s) => s.region,
  'AWS::Partition': (s) => s.partition,
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (s) => s.stackName,
  'AWS::StackId': (s) => `arn:${s.partition}:cloudformation:${s.region}:${s.account}:stack/${s.stackName}/local`,
  'AWS::NoValue': () => NO_VALUE,
};

/** AWS::NoValue: the property is removed. */
export const NO_VALUE = '\u0000NoValue';

/** The logical ids a value refers to (Ref and Fn::GetAtt), for ordering. */
export function references(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => references(v, into));
  else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (typeof node.Ref === 'string' && !node.Ref.startsWith('AWS::')) into.add(node.Ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) into.add(String(getAtt[0]));
    else if (typeof getAtt === 'string') into.add(getAtt.split('.')[0]!);
    const sub = node['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? String(sub[0]) : undefined;
    if (text) for (const [, name] of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)) into.add(name!);
    for (const v of Object.values(node)) references(v, into);
  }
  return into;
}

/** The resources in an order where each comes after everything it refers to. */
export function creationOrder(template: Template): string[] {
  const ids = Object.keys(template.Resources);
  const deps = new Map(
    ids.map((id) => {
      const r = template.Resources[id]!;
      const explicit = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
      return [id, new Set([...references(r.Properties), ...explicit].filter((d) => d in template.Resources))];
    }),
  );
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new TemplateError(`resources depend on each other in a cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const dep of deps.get(id) ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id, []);
  return order;
}

/** Evaluates the template's Conditions with its parameters. */
export function evaluateConditions(template: Template, scope: Omit<Scope, 'conditions'>): Record<string, boolean> {
  const results: Record<string, boolean> = {};
  const evaluate = (name: string): boolean => {
    if (name in results) return results[name]!;
    const definition = template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`condition ${name} is not defined`);
    results[name] = truth(definition);
    return results[name];
  };
  const truth = (node: unknown): boolean => {
    const n = node as Record<string, unknown[]> & { Condition?: string };
    if (n.Condition) return evaluate(n.Condition);
    if (n['Fn::Equals']) {
      const [a, b] = n['Fn::Equals'].map((v) => resolve(v, { ...scope, conditions: results }));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    if (n['Fn::Not']) return !truth(n['Fn::Not'][0]);
    if (n['Fn::And']) return n['Fn::And'].every(truth);
    if (n['Fn::Or']) return n['Fn::Or'].some(truth);
    throw new TemplateError(`unsupported condition ${JSON.stringify(node).slice(0, 80)}`);
  };
  for (const name of Object.keys(template.Conditions ?? {})) evaluate(name);
  return results;
}

function refValue(name: string, scope: Scope): string {
  if (name in PSEUDO) return PSEUDO[name]!(scope);
  if (name in scope.parameters) return scope.parameters[name]!;
  const created = scope.created.get(name);
  if (!created) throw new TemplateError(`Ref ${name}: not a parameter nor a resource created before it`);
  return created.ref;
}

function getAtt(id: string, attribute: string, scope: Scope): string {
  const created = scope.created.get(id);
  const value = created?.attributes[attribute];
  if (value === undefined) throw new TemplateError(`Fn::GetAtt ${id}.${attribute}: not known locally`);
  return value;
}

/** Resolves every intrinsic function in a value: what CloudFormation would pass to the resource. */
export function resolve(value: unknown, scope: Scope): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope)).filter((v) => v !== NO_VALUE);
  if (!value || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = node[key];
    switch (key) {
      case 'Ref':
        return refValue(String(arg), scope);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return getAtt(id!, String(resolve(attribute, scope)), scope);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(parts, scope) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolve(list, scope) as unknown[])[Number(resolve(index, scope))];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolve(text, scope)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return String(resolve(variables[name], scope));
          const [id, attribute] = name.split('.');
          return attribute ? getAtt(id!, attribute, scope) : refValue(id!, scope);
        });
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        if (!(condition in scope.conditions)) throw new TemplateError(`Fn::If: condition ${condition} is not defined`);
        return resolve(scope.conditions[condition] ? whenTrue : whenFalse, scope);
      }
      case 'Fn::ImportValue': {
        const name = String(resolve(arg, scope));
        const exported = scope.exports.get(name);
        if (exported === undefined) throw new TemplateError(`Fn::ImportValue ${name}: no stack applied earlier exports it`);
        return exported;
      }
      case 'Fn::GetAZs':
        return [`${scope.region}a`, `${scope.region}b`];
      case 'Fn::Base64':
        return Buffer.from(String(resolve(arg, scope))).toString('base64');
      default:
        if (key.startsWith('Fn::')) throw new TemplateError(`unsupported intrinsic function ${key}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const resolved = resolve(v, scope);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

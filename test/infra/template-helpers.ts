import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Reading synthesised CloudFormation templates in the infra tests. */

export type Json = Record<string, unknown>;
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Json }>;
}

const outdirs: string[] = [];
/** A fresh cloud assembly folder; `removeCdkOutdirs` (in afterAll) removes those this test file made. */
export function cdkOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rcp-cdk-'));
  outdirs.push(dir);
  return dir;
}
export function removeCdkOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

export function resourcesOfType(template: TemplateJson, type: string): Array<[string, Json]> {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Every statement of the identity policies attached to a role, inline or AWS::IAM::Policy, by the role's logical id. */
export function roleStatements(template: TemplateJson, roleLogicalId: string): Statement[] {
  const role = template.Resources[roleLogicalId];
  if (!role) throw new Error(`no resource ${roleLogicalId}`);
  const inline = ((role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);
  const attached = resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Roles).includes(`"${roleLogicalId}"`))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/** The logical id of the role whose RoleName starts with (or is) this name. */
export function roleNamed(template: TemplateJson, name: string): string {
  const found = resourcesOfType(template, 'AWS::IAM::Role').find(([, p]) => {
    const roleName = p.RoleName as string | { 'Fn::Join': [string, unknown[]] } | undefined;
    if (typeof roleName === 'string') return roleName === name;
    return roleName?.['Fn::Join'][1][0] === name;
  });
  if (!found) throw new Error(`no role named ${name}`);
  return found[0];
}

/**
 * The state machine's ASL as deployed: the DefinitionString with each Fn::GetAtt (a Task's
 * function) replaced by `<logical id>` so states can be matched to the functions they run.
 */
/** A function's ARN as `<LogicalId>`, a pseudo parameter as `<AWS::Partition>`. */
function placeholder(part: unknown): string {
  const { 'Fn::GetAtt': getAtt, Ref: ref } = part as { 'Fn::GetAtt'?: [string]; Ref?: string };
  if (getAtt) return getAtt[0];
  if (ref) return ref;
  throw new Error(`unexpected part of a state machine definition: ${JSON.stringify(part)}`);
}

export function stateMachineDefinition(template: TemplateJson): { StartAt: string; TimeoutSeconds?: number; States: Record<string, Json> } {
  const [, machine] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine')[0] ?? [];
  if (!machine) throw new Error('no state machine');
  const body = machine.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${placeholder(part)}>`)).join(body['Fn::Join'][0]);
  return JSON.parse(text);
}

/**
 * A template value as CloudFormation would deploy it with these parameters: Ref (parameters and
 * pseudo parameters), Fn::Join, Fn::If with the template's Conditions, and the condition functions.
 * Anything else throws, so a test never passes on a value it did not understand.
 */
export function deployedValue(
  template: { Parameters?: Record<string, { Default?: string }>; Conditions?: Record<string, unknown> },
  value: unknown,
  parameters: Record<string, string>,
  pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': '999999999999', 'AWS::Region': 'eu-west-1' },
): unknown {
  const ref = (name: string) => {
    const v = parameters[name] ?? template.Parameters?.[name]?.Default ?? pseudo[name];
    if (v === undefined) throw new Error(`no value for Ref ${name}`);
    return v;
  };
  const condition = (name: string): boolean => Boolean(resolve(template.Conditions?.[name] ?? fail(`no condition ${name}`)));
  const fail = (message: string): never => {
    throw new Error(message);
  };
  function resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const entries = Object.entries(v as Json);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key && (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))) {
      const args = arg as unknown[];
      switch (key) {
        case 'Ref':
          return ref(arg as string);
        case 'Condition':
          return condition(arg as string);
        case 'Fn::Join':
          return (resolve(args[1]) as unknown[]).join(args[0] as string);
        case 'Fn::If':
          return resolve(condition(args[0] as string) ? args[1] : args[2]);
        case 'Fn::Equals':
          return resolve(args[0]) === resolve(args[1]);
        case 'Fn::Not':
          return !resolve(args[0]);
        case 'Fn::And':
          return args.every((a) => resolve(a));
        case 'Fn::Or':
          return args.some((a) => resolve(a));
        case 'Fn::GetAtt':
          return `<${args.join('.')}>`;
        default:
          throw new Error(`deployedValue does not know ${key}`);
      }
    }
    return Object.fromEntries(entries.map(([k, x]) => [k, resolve(x)]));
  }
  return resolve(value);
}

import { CreateTableCommand, DynamoDBClient, ResourceInUseException, waitUntilTableExists, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutPermissionCommand, PutRuleCommand, PutTargetsCommand, ResourceAlreadyExistsException } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, EntityAlreadyExistsException, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, LambdaClient, ResourceConflictException } from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, SFNClient, StateMachineAlreadyExists, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { ENTRY_METADATA } from '../../aws/lib/entry-metadata.ts';
import type { LocalCloud } from '../cloud/server.ts';
import { tunables } from '../functions.ts';
import { HANDLERS, type HandlerOptions } from './handlers.ts';
import { creationOrder, evaluateConditions, resolve, TemplateError, type Created, type Scope, type Template } from './template.ts';

/** A function the stacks define, as registered in the local cloud. */
export interface AppliedFunction {
  stack: string;
  logicalId: string;
  arn: string;
  entry: string;
  environment: Record<string, string>;
}

export interface ApplyOptions extends HandlerOptions {
  /** Environment a function of this entry gets on top of its template's (what differs locally, e.g. how callers map to teams). */
  environmentFor?: Record<string, Record<string, string>>;
}

/** One stack to apply: its template, where, and its parameters. */
export interface StackToApply {
  name: string;
  template: Template;
  account: string;
  region: string;
  parameters?: Record<string, string>;
}

type Props = Record<string, unknown>;

/** The SDK clients of one account and region, as that account's root (a 12-digit key id). */
function clientsFor(cloud: Pick<LocalCloud, 'url'>, account: string, region: string) {
  const config = { endpoint: cloud.url, region, credentials: { accessKeyId: account, secretAccessKey: 'local' }, maxAttempts: 3 };
  return {
    dynamodb: new DynamoDBClient(config),
    events: new EventBridgeClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    sfn: new SFNClient(config),
    destroy() {
      for (const client of [this.dynamodb, this.events, this.iam, this.lambda, this.sfn]) client.destroy();
    },
  };
}
type Clients = ReturnType<typeof clientsFor>;

const ignore = (...names: Array<new (...args: never[]) => Error>) => (err: unknown) => {
  if (!names.some((type) => err instanceof type)) throw err;
};

/** A name CloudFormation would generate for an unnamed resource: stable, so a restart finds it again. */
const generatedName = (stack: string, logicalId: string, max = 64) => `${stack}-${logicalId}`.slice(0, max);

const arn = (s: Scope, service: string, resource: string, global = false) => `arn:${s.partition}:${service}:${global ? '' : s.region}:${s.account}:${resource}`;

interface Context {
  cloud: LocalCloud;
  clients: Clients;
  scope: Scope;
  logicalId: string;
  metadata: Record<string, unknown> | undefined;
  options: ApplyOptions;
  functions: AppliedFunction[];
}

/** What each resource type becomes in the local cloud; a type the embedded default has no use for gets names and ARNs only. */
const APPLY: Record<string, (p: Props, c: Context) => Promise<Created>> = {
  async 'AWS::DynamoDB::Table'(p, { clients, scope, logicalId }) {
    const name = (p.TableName as string) ?? generatedName(scope.stackName, logicalId, 255);
    const indexes = p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'];
    await clients.dynamodb
      .send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
          KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
          BillingMode: 'PAY_PER_REQUEST',
          ...(indexes?.length ? { GlobalSecondaryIndexes: indexes.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection ?? { ProjectionType: 'ALL' } })) } : {}),
        }),
      )
      .catch(ignore(ResourceInUseException));
    // CloudFormation finishes a table when it is ACTIVE; a write before that is refused.
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TableName: name });
    return { ref: name, attributes: { Arn: arn(scope, 'dynamodb', `table/${name}`), StreamArn: arn(scope, 'dynamodb', `table/${name}/stream/local`) } };
  },

  async 'AWS::Events::EventBus'(p, { clients, scope }) {
    const name = p.Name as string;
    await clients.events.send(new CreateEventBusCommand({ Name: name, ...(p.Description ? { Description: p.Description as string } : {}) })).catch(ignore(ResourceAlreadyExistsException));
    const busArn = arn(scope, 'events', `event-bus/${name}`);
    return { ref: name, attributes: { Arn: busArn, Name: name } };
  },

  async 'AWS::Events::EventBusPolicy'(p, { clients, logicalId }) {
    const statement = p.Statement as Props | undefined;
    await clients.events.send(
      new PutPermissionCommand({
        EventBusName: p.EventBusName as string,
        StatementId: (p.StatementId as string) ?? logicalId,
        ...(statement ? { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: (p.StatementId as string) ?? logicalId, ...statement }] }) } : { Action: p.Action as string, Principal: p.Principal as string, Condition: p.Condition as never }),
      }),
    );
    return { ref: logicalId, attributes: {} };
  },

  async 'AWS::Events::Rule'(p, { clients, scope, logicalId }) {
    const name = (p.Name as string) ?? generatedName(scope.stackName, logicalId);
    const bus = (p.EventBusName as string | undefined) ?? 'default';
    const out = await clients.events.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: bus,
        ...(p.EventPattern ? { EventPattern: typeof p.EventPattern === 'string' ? p.EventPattern : JSON.stringify(p.EventPattern) } : {}),
        ...(p.ScheduleExpression ? { ScheduleExpression: p.ScheduleExpression as string } : {}),
        State: (p.State as 'ENABLED' | 'DISABLED' | undefined) ?? 'ENABLED',
        ...(p.Description ? { Description: p.Description as string } : {}),
      }),
    );
    const targets = (p.Targets as Array<Props> | undefined) ?? [];
    if (targets.length) {
      await clients.events.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: bus,
          Targets: targets.map((t) => ({
            Id: t.Id as string,
            Arn: t.Arn as string,
            ...(t.RoleArn ? { RoleArn: t.RoleArn as string } : {}),
            ...(t.Input ? { Input: t.Input as string } : {}),
            ...(t.RetryPolicy ? { RetryPolicy: t.RetryPolicy as never } : {}),
          })),
        }),
      );
    }
    return { ref: name, attributes: { Arn: out.RuleArn ?? arn(scope, 'events', `rule/${name}`) } };
  },

  async 'AWS::IAM::Role'(p, { clients, scope, logicalId }) {
    const name = (p.RoleName as string) ?? generatedName(scope.stackName, logicalId);
    const trust = JSON.stringify(p.AssumeRolePolicyDocument);
    await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, ...(p.Path ? { Path: p.Path as string } : {}) })).catch(async (err: unknown) => {
      if (!(err instanceof EntityAlreadyExistsException)) throw err;
      await clients.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trust }));
    });
    for (const policy of (p.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []) {
      await clients.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policy.PolicyName, PolicyDocument: JSON.stringify(policy.PolicyDocument) }));
    }
    return { ref: name, attributes: { Arn: arn(scope, 'iam', `role/${name}`, true), RoleId: `AROA${logicalId.toUpperCase().slice(0, 16)}` } };
  },

  async 'AWS::IAM::Policy'(p, { clients, logicalId }) {
    for (const role of (p.Roles as string[] | undefined) ?? []) {
      await clients.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: p.PolicyName as string, PolicyDocument: JSON.stringify(p.PolicyDocument) }));
    }
    return { ref: logicalId, attributes: {} };
  },

  async 'AWS::Lambda::Function'(p, { cloud, scope, logicalId, metadata, options, functions }) {
    const name = (p.FunctionName as string) ?? generatedName(scope.stackName, logicalId);
    const entry = metadata?.[ENTRY_METADATA] as string | undefined;
    const factory = entry ? HANDLERS[entry] : undefined;
    if (!factory) throw new TemplateError(`${scope.stackName}/${logicalId}: no local code for entry ${entry ?? '(none)'}: add it to infra/local/deploy/handlers.ts`);
    // The knobs a user set for the embedded default (a connect timeout) reach every function, as a stack update would.
    const environment = { ...((p.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}), ...tunables(), ...options.environmentFor?.[entry!] } as Record<string, string>;
    const record = await cloud.registerFunction({
      name,
      account: scope.account,
      region: scope.region,
      timeoutSeconds: Number(p.Timeout ?? 3),
      role: p.Role as string,
      environment,
      create: (env) => factory(env, options),
    });
    functions.push({ stack: scope.stackName, logicalId, arn: record.arn, entry: entry!, environment });
    return { ref: name, attributes: { Arn: record.arn } };
  },

  async 'AWS::Lambda::Permission'(p, { clients, logicalId }) {
    await clients.lambda
      .send(
        new AddPermissionCommand({
          FunctionName: p.FunctionName as string,
          StatementId: logicalId,
          Action: p.Action as string,
          Principal: p.Principal as string,
          ...(p.SourceAccount ? { SourceAccount: p.SourceAccount as string } : {}),
          ...(p.SourceArn ? { SourceArn: p.SourceArn as string } : {}),
          ...(p.PrincipalOrgID ? { PrincipalOrgID: p.PrincipalOrgID as string } : {}),
        }),
      )
      .catch(ignore(ResourceConflictException));
    return { ref: logicalId, attributes: {} };
  },

  async 'AWS::StepFunctions::StateMachine'(p, { clients, scope, logicalId }) {
    const name = (p.StateMachineName as string) ?? generatedName(scope.stackName, logicalId, 80);
    const definition = typeof p.DefinitionString === 'string' ? p.DefinitionString : JSON.stringify(p.Definition);
    const machineArn = arn(scope, 'states', `stateMachine:${name}`);
    await clients.sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: p.RoleArn as string, type: 'STANDARD' })).catch(async (err: unknown) => {
      if (!(err instanceof StateMachineAlreadyExists)) throw err;
      await clients.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: machineArn, definition, roleArn: p.RoleArn as string }));
    });
    return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
  },
};

/** A resource the local cloud does not need (API Gateway, log groups, archives): plausible names and ARNs only. */
function placeholder(type: string, logicalId: string, scope: Scope): Created {
  const service = type.split('::')[1]!.toLowerCase();
  const name = generatedName(scope.stackName, logicalId);
  const attributes = new Proxy({} as Record<string, string>, { get: (_t, attr) => (attr === 'Arn' ? arn(scope, service, name) : `${name}.${String(attr)}`) });
  return { ref: name, attributes };
}

/**
 * Applies stacks to the local cloud in order, as CloudFormation would deploy them: parameters and
 * conditions evaluated, each resource created once what it refers to exists, exports passed on.
 * Safe to run at every start: what exists is kept or updated.
 */
export async function applyStacks(cloud: LocalCloud, stacks: StackToApply[], options: ApplyOptions = {}): Promise<{ exports: Map<string, string>; functions: AppliedFunction[] }> {
  const exports = new Map<string, string>();
  const functions: AppliedFunction[] = [];
  for (const stack of stacks) {
    const clients = clientsFor(cloud, stack.account, stack.region);
    try {
      const base = { account: stack.account, region: stack.region, partition: 'aws', stackName: stack.name, exports, created: new Map<string, Created>() };
      const parameters = Object.fromEntries(
        Object.entries(stack.template.Parameters ?? {}).map(([name, p]) => [name, stack.parameters?.[name] ?? (p.Default === undefined ? '' : String(p.Default))]),
      );
      const conditions = evaluateConditions(stack.template, { ...base, parameters });
      const scope: Scope = { ...base, parameters, conditions };
      for (const logicalId of creationOrder(stack.template)) {
        const resource = stack.template.Resources[logicalId]!;
        if (resource.Condition && !conditions[resource.Condition]) continue;
        const apply = APPLY[resource.Type];
        const properties = resolve(resource.Properties ?? {}, scope) as Props;
        try {
          scope.created.set(logicalId, apply ? await apply(properties, { cloud, clients, scope, logicalId, metadata: resource.Metadata, options, functions }) : placeholder(resource.Type, logicalId, scope));
        } catch (err) {
          throw new TemplateError(`${stack.name}/${logicalId} (${resource.Type}): ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
        }
      }
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export) exports.set(String(resolve(output.Export.Name, scope)), String(resolve(output.Value, scope)));
      }
    } finally {
      clients.destroy();
    }
  }
  return { exports, functions };
}

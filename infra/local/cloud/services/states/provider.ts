import type { AuthorizedResource, Operation, RequestContext, ServiceProvider } from '../../context.ts';
import type { Scope } from '../../scopes.ts';
import { tokenExecution } from './engine.ts';

/**
 * Step Functions over JSON 1.0 (`AWSStepFunctions.<Operation>`): each call runs on the engine of
 * the caller's account-region, after IAM has authorised it on the resource AWS's Service
 * Authorization Reference names for that action: the state machine (also for SendTask*, the
 * machine the token's execution belongs to, as CDK's grantTaskResponse grants it), the execution,
 * or `*` for ListStateMachines. Creating or updating a machine with a role also needs
 * iam:PassRole on that role, as in AWS.
 */

type Api = Record<string, (input: unknown) => Promise<unknown>>;

const ARN_ACCOUNT = /^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;
const EXECUTION_ARN = /^(arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}):execution:([^:]+):[^:]+$/;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** IAM's view of an ARN a request names: the ARN, in the account it names (or the caller's, for one that names none). */
function resource(arn: string, ctx: RequestContext, extra: Partial<AuthorizedResource> = {}): AuthorizedResource {
  return { arn: arn || '*', account: ARN_ACCOUNT.exec(arn)?.[1] ?? ctx.account, ...extra };
}

const onField =
  (field: string) =>
  (input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] => [resource(text(input[field]), ctx)];

/** The role a machine is created or updated with must be passed: iam:PassRole, decided by the caller's own policies. */
const passRole = (input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] =>
  typeof input.roleArn === 'string' ? [resource(input.roleArn, ctx, { action: 'iam:PassRole', identityOnly: true })] : [];

/** The state machine a task token's execution belongs to. */
function onTokenMachine(input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] {
  const execution = EXECUTION_ARN.exec(tokenExecution(text(input.taskToken)) ?? '');
  return [resource(execution ? `${execution[1]}:stateMachine:${execution[2]}` : '*', ctx)];
}

const RESOURCES: Record<string, Operation['resources']> = {
  CreateStateMachine: (input, ctx) => [resource(`arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${text(input.name)}`, ctx), ...passRole(input, ctx)],
  UpdateStateMachine: (input, ctx) => [resource(text(input.stateMachineArn), ctx), ...passRole(input, ctx)],
  DescribeStateMachine: onField('stateMachineArn'),
  DeleteStateMachine: onField('stateMachineArn'),
  ListStateMachines: undefined,
  StartExecution: onField('stateMachineArn'),
  ListExecutions: onField('stateMachineArn'),
  DescribeExecution: onField('executionArn'),
  StopExecution: onField('executionArn'),
  GetExecutionHistory: onField('executionArn'),
  SendTaskSuccess: onTokenMachine,
  SendTaskFailure: onTokenMachine,
  SendTaskHeartbeat: onTokenMachine,
};

export function statesProvider(apiOf: (scope: Scope) => Promise<Api>): ServiceProvider {
  const operations: Record<string, Operation> = {};
  for (const [name, resources] of Object.entries(RESOURCES)) {
    operations[name] = {
      resources,
      run: async (input, ctx) => (await apiOf(ctx.scope))[name]!(input),
    };
  }
  return {
    name: 'states',
    bindings: [{ protocol: 'json', targetPrefix: 'AWSStepFunctions', contentType: 'application/x-amz-json-1.0' }],
    operations,
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}

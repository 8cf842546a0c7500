import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, CENTRAL_STAGE } from '../../infra/aws/bin/app.ts';
import type { SecretRotationControlPlane } from '../../infra/aws/index.ts';
import { loadContract } from '../../services/api/app.ts';
import { actions, cdkOutdir, removeCdkOutdirs, resourcesOfType, roleNamed, roleStatements, stateMachineDefinition, type Json, type Statement } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

let templates: Record<'RcpAudit' | 'RcpRotator' | 'RcpControlPlane', Template>;
const TEAM_PRINCIPALS = { 'arn:aws:sts::111122223333:assumed-role/orders-deployer/*': 'orders' };

beforeAll(() => {
  // The app as `npx cdk synth` builds it, settings from context values as the command line gives them
  // (JSON strings); placeholder code instead of bundles (cdk-cli.test.ts synthesises with them).
  const app = buildApp(new App({ outdir: cdkOutdir(), context: { 'rcp:teamPrincipals': JSON.stringify(TEAM_PRINCIPALS) } }), { bundle: false });
  // synth runs cdk-nag's AwsSolutions checks and throws on any finding not acknowledged with a reason
  app.synth();
  const stage = app.node.findChild(CENTRAL_STAGE) as SecretRotationControlPlane;
  templates = { RcpAudit: Template.fromStack(stage.audit), RcpRotator: Template.fromStack(stage.rotator), RcpControlPlane: Template.fromStack(stage.controlPlane) };
}, 120_000);

describe('the rotator stack', () => {
  it('lets only Secrets Manager of this account invoke the fleet rotator', () => {
    templates.RcpRotator.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(Object.keys(templates.RcpRotator.findResources('AWS::Lambda::Permission'))).toHaveLength(1);
  });

  it('runs nodejs22.x, with tracing and a log group that expires', () => {
    templates.RcpRotator.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'fleet-rotator', Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' } });
    templates.RcpRotator.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('reads and writes only secrets tagged as managed, reads (not writes) those being onboarded, and uses KMS only through Secrets Manager', () => {
    const policies = templates.RcpRotator.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties.PolicyDocument.Statement);
    const secretStatements = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:') && !JSON.stringify(s.Action).includes('GetRandomPassword'));
    expect(secretStatements.length).toBeGreaterThan(0);
    for (const s of secretStatements) expect(s.Condition, JSON.stringify(s)).toBeDefined();
    const writes = secretStatements.filter((s) => JSON.stringify(s.Action).includes('PutSecretValue'));
    expect(writes).toEqual([expect.objectContaining({ Condition: { StringEquals: { 'secretsmanager:ResourceTag/rcp:managed': 'true' } } })]);
    const kms = statements.filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kms).toEqual([expect.objectContaining({ Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } })]);
    // no managed policies: each function's role is its own
    templates.RcpRotator.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('keeps idempotency records in an encrypted table with point-in-time recovery and expiry', () => {
    templates.RcpRotator.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('the audit stack', () => {
  it('archives every audit event for a year', () => {
    templates.RcpAudit.hasResourceProperties('AWS::Events::EventBus', { Name: 'rcp-audit' });
    templates.RcpAudit.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365, EventPattern: { source: ['secret-rotation-control-plane'] } });
  });

  it('has the central bus for member accounts, closed to other accounts when no organisation is configured', () => {
    templates.RcpAudit.hasResourceProperties('AWS::Events::EventBus', { Name: 'rcp-org-events' });
    templates.RcpAudit.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365, EventPattern: { source: ['aws.secretsmanager'] } });
    templates.RcpAudit.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    // What the member stack RcpMemberForwarding takes as CentralEventBusArn.
    const [orgBus] = Object.keys(templates.RcpAudit.findResources('AWS::Events::EventBus', { Properties: { Name: 'rcp-org-events' } }));
    templates.RcpAudit.hasOutput('OrgEventsBusArn', { Value: { 'Fn::GetAtt': [orgBus, 'Arn'] } });
  });
});

describe('the control plane stack', () => {
  it('runs the onboarding workflow as a Standard state machine with logging and tracing', () => {
    templates.RcpControlPlane.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'rcp-onboarding',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    templates.RcpControlPlane.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'rcp-control-plane',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byTeam' })],
    });
  });

  it('never lets onboarding read a secret value: only the rotator may', () => {
    const policies = Object.values(templates.RcpControlPlane.findResources('AWS::IAM::Policy'));
    expect(JSON.stringify(policies)).not.toContain('secretsmanager:GetSecretValue');
  });

  it("records every audit event into each secret's audit trail: a table with expiry, written only by its recorder, queried only by the API", () => {
    templates.RcpControlPlane.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'rcp-audit-trail',
      KeySchema: [
        { AttributeName: 'secretArn', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    templates.RcpControlPlane.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['secret-rotation-control-plane'], 'detail-type': Match.absent() },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditTrailRecorder'), 'Arn'] } })],
    });
    const functions = resourcesOfType(templates.RcpControlPlane.toJSON() as never, 'AWS::Lambda::Function');
    const recorder = functions.find(([id]) => id.startsWith('AuditTrailRecorder'))!;
    expect((recorder[1].Environment as { Variables: Record<string, string> }).Variables).toMatchObject({ AUDIT_TRAIL_RETENTION_DAYS: '365' });
    // Which statements name the trail table, and with which actions: PutItem for the recorder, Query for the API.
    const tableId = Object.keys(templates.RcpControlPlane.findResources('AWS::DynamoDB::Table', { Properties: { TableName: 'rcp-audit-trail' } }))[0]!;
    const onTrail = Object.entries(templates.RcpControlPlane.findResources('AWS::IAM::Policy')).flatMap(([id, p]) =>
      (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Resource).includes(tableId)).map((s) => [id.replace(/RoleDefaultPolicy.*/, ''), s.Action]),
    );
    expect(onTrail.sort()).toEqual([
      ['ApiHandler', 'dynamodb:Query'],
      ['AuditTrailRecorder', 'dynamodb:PutItem'],
    ]);
  });

  it('maps callers to teams from the rcp:teamPrincipals context value', () => {
    const api = resourcesOfType(templates.RcpControlPlane.toJSON() as never, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ApiHandler'))!;
    const env = (api[1].Environment as { Variables: Record<string, string> }).Variables;
    expect(JSON.parse(env.RCP_TEAM_PRINCIPALS!)).toEqual(TEAM_PRINCIPALS);
  });
});

describe('central roles that member accounts trust by name', () => {
  const name = (prefix: string) => ({ 'Fn::Join': ['', [prefix, { Ref: 'AWS::Region' }]] });

  it('names the rotator, every onboarding step and the API by kind and region', () => {
    templates.RcpRotator.hasResourceProperties('AWS::IAM::Role', { RoleName: name('rcp-central-rotator-') });
    for (const step of ['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'AwaitFirstRotation', 'RecordSuccess', 'Compensate', 'RecordFailure', 'FirstRotationCallback']) {
      templates.RcpControlPlane.hasResourceProperties('AWS::IAM::Role', { RoleName: name(`rcp-central-onboarding-${step}-`) });
    }
    templates.RcpControlPlane.hasResourceProperties('AWS::IAM::Role', { RoleName: name('rcp-central-api-') });
    // Each function runs as its named role.
    const rotatorRole = roleNamed(templates.RcpRotator.toJSON() as never, 'rcp-central-rotator-');
    templates.RcpRotator.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'fleet-rotator', Role: { 'Fn::GetAtt': [rotatorRole, 'Arn'] } });
  });

  it('assumes no member role when no organisation is configured', () => {
    for (const template of [templates.RcpRotator, templates.RcpControlPlane]) {
      const granted = resourcesOfType(template.toJSON() as never, 'AWS::IAM::Policy').flatMap(([, p]) => (p.PolicyDocument as { Statement: Statement[] }).Statement.flatMap(actions));
      expect(granted.length).toBeGreaterThan(0);
      expect(granted).not.toContain('sts:AssumeRole');
    }
    const apiRole = roleNamed(templates.RcpControlPlane.toJSON() as never, 'rcp-central-api-');
    expect(roleStatements(templates.RcpControlPlane.toJSON() as never, apiRole).flatMap(actions)).toContain('states:StartExecution');
    expect(roleStatements(templates.RcpControlPlane.toJSON() as never, apiRole).flatMap(actions)).not.toContain('sts:AssumeRole');
  });
});

describe('the onboarding workflow as deployed (the ASL in the template)', () => {
  type State = Json & { Type: string; Next?: string; Retry?: Json[]; Catch?: Json[]; ResultPath?: string; Resource?: string };
  let states: Record<string, State>;
  const STEPS = ['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation'];
  const LAMBDA_TASKS = [...STEPS, 'RecordSuccess', 'Compensate', 'RecordFailure'];
  const TASKS = [...LAMBDA_TASKS, 'AwaitFirstRotation'];

  beforeAll(() => {
    const asl = stateMachineDefinition(templates.RcpControlPlane.toJSON() as never);
    expect(asl.StartAt).toBe('Validate');
    expect(asl.TimeoutSeconds).toBe(2 * 3600);
    states = asl.States as Record<string, State>;
  });

  it('has exactly the documented states', () => {
    expect(Object.keys(states).sort()).toEqual(
      [...TASKS, 'RotateImmediately', 'Onboarded', 'OnboardingFailed'].sort(),
    );
    for (const name of TASKS) expect(states[name]!.Type, name).toBe('Task');
  });

  it('runs the steps in order from Validate to the RotateImmediately choice', () => {
    const path: string[] = [];
    for (let name: string | undefined = 'Validate'; name; name = states[name]!.Type === 'Task' ? states[name]!.Next : undefined) path.push(name);
    expect(path).toEqual([...STEPS, 'RotateImmediately']);
  });

  it("runs each Task as its own step's function and keeps its result under its own path", () => {
    const resultPaths: Record<string, string> = {
      Validate: '$.validate',
      EnsureNetwork: '$.network',
      Preflight: '$.preflight',
      EnsureInvokePermission: '$.permission',
      TagSecret: '$.tags',
      ConfigureRotation: '$.rotation',
      RecordSuccess: '$.recorded',
      Compensate: '$.compensation',
      RecordFailure: '$.recorded',
    };
    for (const name of LAMBDA_TASKS) {
      expect(states[name]!.Resource, name).toMatch(new RegExp(`^<Step${name}[0-9A-F]{8}>$`));
      expect(states[name]!.ResultPath, name).toBe(resultPaths[name]);
    }
  });

  it('retries throttling and transient errors on every Task: 2 s, doubling, 5 attempts, full jitter; and Lambda service errors', () => {
    for (const name of TASKS) {
      expect(states[name]!.Retry, name).toEqual(
        expect.arrayContaining([
          { ErrorEquals: ['Throttled', 'TransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5, JitterStrategy: 'FULL' },
          {
            ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
            IntervalSeconds: 2,
            BackoffRate: 2,
            MaxAttempts: 6,
          },
        ]),
      );
    }
  });

  it('waits out a rotation still finishing before ConfigureRotation gives up: 30 s, doubling, 6 attempts, full jitter', () => {
    expect(states.ConfigureRotation!.Retry).toContainEqual({ ErrorEquals: ['RotationInProgress'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' });
    for (const name of TASKS.filter((n) => n !== 'ConfigureRotation')) expect(JSON.stringify(states[name]!.Retry), name).not.toContain('RotationInProgress');
  });

  it('sends any failure of a step, of the wait for the first rotation or of RecordSuccess to Compensate with the error at $.error', () => {
    for (const name of [...STEPS, 'AwaitFirstRotation', 'RecordSuccess']) {
      expect(states[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate' }]);
    }
  });

  it('compensates, records the failure and fails, even when compensation itself fails', () => {
    expect(states.Compensate!.Next).toBe('RecordFailure');
    // A failed compensation still records the failure, keeping the original error at $.error.
    expect(states.Compensate!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensationError', Next: 'RecordFailure' }]);
    expect(states.RecordFailure!.Next).toBe('OnboardingFailed');
    // Nothing after a failure loops back into compensation.
    expect(states.RecordFailure!.Catch).toBeUndefined();
    expect(states.OnboardingFailed).toEqual({ Type: 'Fail', Error: 'OnboardingFailed', CausePath: '$.error.Cause' });
  });

  it('rotates immediately unless the request says rotateImmediately: false', () => {
    expect(states.RotateImmediately).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.request.rotateImmediately', IsPresent: true },
            { Variable: '$.request.rotateImmediately', BooleanEquals: false },
          ],
          Next: 'RecordSuccess',
        },
      ],
      Default: 'AwaitFirstRotation',
    });
  });

  it("waits for the first rotation as one callback task, resumed by the rotation's own event, for at most 30 minutes", () => {
    const wait = states.AwaitFirstRotation as State & { Parameters: Json; TimeoutSeconds: number };
    expect(wait.Resource).toMatch(/^arn:<AWS::Partition>:states:::lambda:invoke\.waitForTaskToken$/);
    expect(wait.Parameters).toEqual({ FunctionName: expect.stringMatching(/^<StepAwaitFirstRotation[0-9A-F]{8}>$/), Payload: { 'state.$': '$', 'taskToken.$': '$$.Task.Token' } });
    expect(wait.TimeoutSeconds).toBe(1800);
    expect(wait.ResultPath).toBe('$.firstRotation');
    expect(wait.Next).toBe('RecordSuccess');
    expect(states.RecordSuccess!.Next).toBe('Onboarded');
    expect(states.Onboarded).toEqual({ Type: 'Succeed' });
  });

  it("resumes waiting onboardings from the rotator's Rotation Succeeded and Rotation Failed on the audit bus", () => {
    templates.RcpControlPlane.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['secret-rotation-control-plane'], 'detail-type': ['Rotation Succeeded', 'Rotation Failed'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FirstRotationCallback'), 'Arn'] } })],
    });
  });
});

describe('the REST API', () => {
  it('is openapi.yaml: every operation proxied to the API function, IAM-authorised (the health check open) and validated', () => {
    const apis = templates.RcpControlPlane.findResources('AWS::ApiGateway::RestApi');
    const body = (Object.values(apis)[0] as { Properties: { Body: Record<string, unknown> } }).Properties.Body;
    const contract = loadContract() as { paths: Record<string, Record<string, unknown>> };
    const paths = body.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths).sort()).toEqual(Object.keys(contract.paths).sort());
    let operations = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
        operations++;
        expect(operation['x-amazon-apigateway-auth'], `${method} ${path}`).toEqual({ type: path === '/v1/health' ? 'NONE' : 'AWS_IAM' });
        expect(operation['x-amazon-apigateway-request-validator']).toBe('all');
        expect(operation['x-amazon-apigateway-integration']).toMatchObject({ type: 'aws_proxy', httpMethod: 'POST' });
      }
    }
    const contractOperations = Object.values(contract.paths).flatMap((item) => Object.keys(item).filter((m) => ['get', 'post', 'put', 'delete'].includes(m)));
    expect(operations).toBe(contractOperations.length);
    expect(body['x-amazon-apigateway-request-validators']).toEqual({ all: { validateRequestBody: true, validateRequestParameters: true } });
  });

  it('logs access, traces, and lets only this API invoke its function', () => {
    templates.RcpControlPlane.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    templates.RcpControlPlane.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceArn: Match.anyValue() });
  });
});

describe('a rotator placed in a VPC', () => {
  it('runs in the VPC with a Secrets Manager endpoint only it may reach, and onboarding knows it', () => {
    const placement = {
      name: 'Orders',
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      routeTableIds: ['rtb-0123456789abcdef0'],
    };
    const app = buildApp(new App({ outdir: cdkOutdir(), context: { 'rcp:placements': [placement] } }), { bundle: false });
    app.synth();
    const stage = app.node.findChild(CENTRAL_STAGE) as SecretRotationControlPlane;
    const rotator = Template.fromStack(stage.rotator);
    rotator.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'fleet-rotator-Orders',
      VpcConfig: { SubnetIds: placement.subnetIds, SecurityGroupIds: placement.securityGroupIds },
    });
    rotator.hasResourceProperties('AWS::IAM::Role', { RoleName: { 'Fn::Join': ['', ['rcp-central-rotator-Orders-', { Ref: 'AWS::Region' }]] } });
    rotator.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcId: placement.vpcId, VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    // everything the rotator calls is reachable without NAT: Secrets Manager, EventBridge, DynamoDB
    const endpoints = JSON.stringify(rotator.findResources('AWS::EC2::VPCEndpoint'));
    for (const service of ['secretsmanager', 'events', 'dynamodb']) expect(endpoints).toContain(`.${service}`);
    rotator.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ec2:CreateNetworkInterface']) })]) },
    });
    rotator.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: 'sg-0123456789abcdef0' })],
    });
    expect(Object.keys(rotator.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } }))).toHaveLength(2);
    const controlPlane = Template.fromStack(stage.controlPlane as Stack);
    const env = JSON.stringify(controlPlane.findResources('AWS::Lambda::Function'));
    expect(env).toContain('vpc-0123456789abcdef0');
  });
});

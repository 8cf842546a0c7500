import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/bin/app.ts';
import { synthesizedWorkflowDefinition, workflowDefinitionFrom } from '../../infra/local/workflow-runner.ts';
import { loadContract } from '../../services/api/app.ts';

let templates: Record<string, Template>;

beforeAll(() => {
  const app = buildApp(new App({ outdir: mkdtempSync(join(tmpdir(), 'rcp-cdk-')) }));
  // synth runs cdk-nag's AwsSolutions checks and throws on any finding not acknowledged with a reason
  app.synth();
  templates = Object.fromEntries(app.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => [s.stackName, Template.fromStack(s)]));
}, 120_000);

describe('the rotator stack', () => {
  it('lets only Secrets Manager of this account invoke the fleet rotator', () => {
    templates.RcpRotator!.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(Object.keys(templates.RcpRotator!.findResources('AWS::Lambda::Permission'))).toHaveLength(1);
  });

  it('runs nodejs22.x, with tracing and a log group that expires', () => {
    templates.RcpRotator!.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'fleet-rotator', Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' } });
    templates.RcpRotator!.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('reads and writes only secrets tagged as managed, reads (not writes) those being onboarded, and uses KMS only through Secrets Manager', () => {
    const policies = templates.RcpRotator!.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties.PolicyDocument.Statement);
    const secretStatements = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:') && !JSON.stringify(s.Action).includes('GetRandomPassword'));
    expect(secretStatements.length).toBeGreaterThan(0);
    for (const s of secretStatements) expect(s.Condition, JSON.stringify(s)).toBeDefined();
    const writes = secretStatements.filter((s) => JSON.stringify(s.Action).includes('PutSecretValue'));
    expect(writes).toEqual([expect.objectContaining({ Condition: { StringEquals: { 'secretsmanager:ResourceTag/rcp:managed': 'true' } } })]);
    const kms = statements.filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kms).toEqual([expect.objectContaining({ Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } })]);
    // no managed policies: each function's role is its own
    templates.RcpRotator!.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('keeps idempotency records in an encrypted table with point-in-time recovery and expiry', () => {
    templates.RcpRotator!.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('the audit stack', () => {
  it('archives every audit event for a year', () => {
    templates.RcpAudit!.hasResourceProperties('AWS::Events::EventBus', { Name: 'rcp-audit' });
    templates.RcpAudit!.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365, EventPattern: { source: ['secret-rotation-control-plane'] } });
  });
});

describe('the control plane stack', () => {
  it('runs the onboarding workflow as a Standard state machine with logging and tracing', () => {
    templates.RcpControlPlane!.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'rcp-onboarding',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    templates.RcpControlPlane!.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'rcp-control-plane',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byTeam' })],
    });
  });

  it('never lets onboarding read a secret value: only the rotator may', () => {
    const policies = Object.values(templates.RcpControlPlane!.findResources('AWS::IAM::Policy'));
    expect(JSON.stringify(policies)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('is the workflow the embedded default runs: the local runner executes exactly this ASL', () => {
    const deployed = workflowDefinitionFrom(templates.RcpControlPlane!.toJSON() as Parameters<typeof workflowDefinitionFrom>[0]);
    expect(synthesizedWorkflowDefinition()).toEqual(deployed);
    const states = deployed.States as Record<string, { Type: string; Catch?: unknown[] }>;
    for (const name of ['Validate', 'EnsureNetwork', 'Preflight', 'EnsureInvokePermission', 'TagSecret', 'ConfigureRotation', 'CheckFirstRotation']) {
      expect(states[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate' }]);
    }
  });
});

describe('the REST API', () => {
  it('is openapi.yaml: every operation proxied to the API function, IAM-authorised and validated', () => {
    const apis = templates.RcpControlPlane!.findResources('AWS::ApiGateway::RestApi');
    const body = (Object.values(apis)[0] as { Properties: { Body: Record<string, unknown> } }).Properties.Body;
    const contract = loadContract() as { paths: Record<string, Record<string, unknown>> };
    const paths = body.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths).sort()).toEqual(Object.keys(contract.paths).sort());
    let operations = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
        operations++;
        expect(operation['x-amazon-apigateway-auth'], `${method} ${path}`).toEqual({ type: 'AWS_IAM' });
        expect(operation['x-amazon-apigateway-request-validator']).toBe('all');
        expect(operation['x-amazon-apigateway-integration']).toMatchObject({ type: 'aws_proxy', httpMethod: 'POST' });
      }
    }
    expect(operations).toBe(7);
    expect(body['x-amazon-apigateway-request-validators']).toEqual({ all: { validateRequestBody: true, validateRequestParameters: true } });
  });

  it('logs access, traces, and lets only this API invoke its function', () => {
    templates.RcpControlPlane!.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    templates.RcpControlPlane!.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceArn: Match.anyValue() });
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
    const app = buildApp(new App({ outdir: mkdtempSync(join(tmpdir(), 'rcp-cdk-')), context: { 'rcp:placements': [placement] } }), { bundle: false });
    app.synth();
    const rotator = Template.fromStack(app.node.findChild('RcpRotator') as Stack);
    rotator.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'fleet-rotator-Orders',
      VpcConfig: { SubnetIds: placement.subnetIds, SecurityGroupIds: placement.securityGroupIds },
    });
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
    const controlPlane = Template.fromStack(app.node.findChild('RcpControlPlane') as Stack);
    const env = JSON.stringify(controlPlane.findResources('AWS::Lambda::Function'));
    expect(env).toContain('vpc-0123456789abcdef0');
  });
});

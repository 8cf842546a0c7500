import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberForwardingStack, MemberRolesStack } from '../../infra/aws/index.ts';
import { ONBOARDING_TAGS } from '../../shared/names.ts';
import { isAllowed, type Request } from './iam-evaluation.ts';
import { actions, cdkOutdir, removeCdkOutdirs, deployedValue, resourcesOfType, roleStatements, type Json, type Statement } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

type TemplateJson = { Parameters: Record<string, Json & { Default?: string }>; Rules?: Record<string, { Assertions: Array<{ Assert: unknown }> }>; Conditions?: Json; Resources: Record<string, { Type: string; Properties?: Json }>; Outputs?: Json };

const CENTRAL = '111122223333';
const MEMBER = '999999999999'; // the account deployedValue gives AWS::AccountId
let outdir: string;
let roles: TemplateJson;
let forwarding: TemplateJson;

beforeAll(() => {
  outdir = cdkOutdir();
  const app = new App({ outdir });
  new MemberRolesStack(app, 'RcpMemberRoles');
  new MemberForwardingStack(app, 'RcpMemberForwarding');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Throws on any cdk-nag finding not acknowledged with a reason.
  const assembly = app.synth();
  roles = assembly.getStackByName('RcpMemberRoles').template as TemplateJson;
  forwarding = assembly.getStackByName('RcpMemberForwarding').template as TemplateJson;
});

/** A role as a member account gets it from the StackSet with these parameters. */
function deployedRole(roleName: string, parameters: Record<string, string>) {
  const [logicalId, properties] = resourcesOfType(roles as never, 'AWS::IAM::Role').find(([, p]) => p.RoleName === roleName) ?? [];
  if (!logicalId) throw new Error(`no role ${roleName}`);
  return {
    trust: deployedValue(roles, properties!.AssumeRolePolicyDocument, parameters) as { Statement: Statement[] },
    policy: deployedValue(roles, roleStatements(roles as never, logicalId), parameters) as Statement[],
  };
}
const withExternalId = { CentralAccountId: CENTRAL, ExternalId: 'rcp-7f3a' };
const secret = `arn:aws:secretsmanager:eu-west-1:${MEMBER}:secret:orders/db-AbCdEf`;
const onSecret = (action: string, context: Request['context'] = {}): Request => ({ action: `secretsmanager:${action}`, resource: secret, context });
const managed = { 'secretsmanager:ResourceTag/rcp:managed': 'true' };
const marked = { 'secretsmanager:ResourceTag/rcp:onboarding-id': 'onb-1' };

describe('the member stacks deploy as plain templates (StackSets)', () => {
  it('need no bootstrap, no assets and carry no account or region', () => {
    for (const [name, template] of [['RcpMemberRoles', roles], ['RcpMemberForwarding', forwarding]] as const) {
      expect(Object.keys(template.Parameters), name).not.toContain('BootstrapVersion');
      expect(Object.keys(template.Rules ?? {}), name).not.toContain('CheckBootstrapVersion');
      expect(Object.values(template.Resources).map((r) => r.Type), name).not.toContain('AWS::CDK::Metadata');
      expect(JSON.stringify(template), name).not.toMatch(/Fn::ImportValue|AWS::Lambda::Function|cdk-hnb659fds/);
      const assets = JSON.parse(readFileSync(join(outdir, `${name}.assets.json`), 'utf8')) as { files: Record<string, { source: { path: string } }>; dockerImages: Json };
      // The template is its own only file asset: nothing else to upload before a StackSet can use it.
      expect(Object.values(assets.files).map((f) => f.source.path), name).toEqual([`${name}.template.json`]);
      expect(assets.dockerImages, name).toEqual({});
    }
  });

  it('take their settings as parameters, refusing malformed values', () => {
    const pattern = (template: TemplateJson, name: string) => new RegExp(template.Parameters[name]!.AllowedPattern as string);
    expect(Object.keys(roles.Parameters).sort()).toEqual(['CentralAccountId', 'ExternalId', 'OrganizationId']);
    expect(pattern(roles, 'CentralAccountId').test(CENTRAL)).toBe(true);
    expect(pattern(roles, 'CentralAccountId').test('11112222333')).toBe(false);
    expect(roles.Parameters.ExternalId!.Default).toBe('');
    expect(pattern(roles, 'ExternalId').test('')).toBe(true);
    expect(pattern(roles, 'ExternalId').test('rcp-7f3a')).toBe(true);
    expect(pattern(roles, 'ExternalId').test('has space')).toBe(false);
    expect(roles.Parameters.OrganizationId!.Default).toBe('');
    expect(pattern(roles, 'OrganizationId').test('o-a1b2c3d4e5')).toBe(true);
    expect(pattern(roles, 'OrganizationId').test('r-a1b2')).toBe(false);
    expect(Object.keys(forwarding.Parameters)).toEqual(['CentralEventBusArn']);
    expect(pattern(forwarding, 'CentralEventBusArn').test(`arn:aws:events:us-east-1:${CENTRAL}:event-bus/rcp-org-events`)).toBe(true);
    expect(pattern(forwarding, 'CentralEventBusArn').test(`arn:aws:sqs:us-east-1:${CENTRAL}:queue`)).toBe(false);
  });

  it('refuse a deployment without an external id or an organisation (the rule fails the stack)', () => {
    const assertion = roles.Rules!.ExternalIdOrOrganizationId!.Assertions[0]!.Assert;
    expect(deployedValue(roles, assertion, { CentralAccountId: CENTRAL })).toBe(false);
    expect(deployedValue(roles, assertion, withExternalId)).toBe(true);
    expect(deployedValue(roles, assertion, { CentralAccountId: CENTRAL, OrganizationId: 'o-a1b2c3d4e5' })).toBe(true);
  });
});

describe('who may assume a member role', () => {
  const trusted: Array<[string, string[]]> = [
    ['rcp-member-onboarding', ['rcp-central-onboarding-*', 'rcp-central-api-*']],
    ['rcp-member-rotation', ['rcp-central-rotator-*']],
    ['rcp-member-inventory', ['rcp-central-compliance-*', 'rcp-central-api-*']],
  ];

  it.each(trusted)('%s trusts only the central account, and there only the roles of its kind', (roleName, patterns) => {
    const { trust } = deployedRole(roleName, withExternalId);
    expect(trust.Statement).toHaveLength(1);
    const [statement] = trust.Statement;
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: `arn:aws:iam::${CENTRAL}:root` } });
    expect(statement!.Condition!.ArnLike).toEqual({ 'aws:PrincipalArn': patterns.map((p) => `arn:aws:iam::${CENTRAL}:role/${p}`) });
    const asRole = (name: string, externalId?: string): Request => ({
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${MEMBER}:role/${roleName}`,
      context: { 'aws:PrincipalArn': `arn:aws:iam::${CENTRAL}:role/${name}`, ...(externalId ? { 'sts:ExternalId': externalId } : {}) },
    });
    const kind = patterns[0]!.replace('*', '');
    expect(isAllowed(trust.Statement, asRole(`${kind}eu-west-1`, 'rcp-7f3a'))).toBe(true);
    expect(isAllowed(trust.Statement, asRole(`${kind}eu-west-1`))).toBe(false);
    expect(isAllowed(trust.Statement, asRole(`${kind}eu-west-1`, 'guessed'))).toBe(false);
    expect(isAllowed(trust.Statement, asRole('Admin', 'rcp-7f3a'))).toBe(false);
  });

  it('asks for the external id, the organisation, or both, as the parameters say', () => {
    const proof = (parameters: Record<string, string>) => deployedRole('rcp-member-rotation', { CentralAccountId: CENTRAL, ...parameters }).trust.Statement[0]!.Condition!.StringEquals;
    expect(proof({ ExternalId: 'rcp-7f3a' })).toEqual({ 'sts:ExternalId': 'rcp-7f3a' });
    expect(proof({ OrganizationId: 'o-a1b2c3d4e5' })).toEqual({ 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' });
    expect(proof({ ExternalId: 'rcp-7f3a', OrganizationId: 'o-a1b2c3d4e5' })).toEqual({ 'sts:ExternalId': 'rcp-7f3a', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' });
  });
});

describe('rcp-member-onboarding', () => {
  let policy: Statement[];
  beforeAll(() => (policy = deployedRole('rcp-member-onboarding', withExternalId).policy));

  it('never reads a secret value', () => {
    for (const action of ['GetSecretValue', 'BatchGetSecretValue', 'PutSecretValue']) {
      expect(isAllowed(policy, onSecret(action, { ...managed, ...marked })), action).toBe(false);
    }
    expect(policy.flatMap(actions).filter((a) => a.includes('*'))).toEqual([]);
  });

  it("tags only with the product's tags, never the owner's rcp:team", () => {
    expect(isAllowed(policy, onSecret('TagResource', { 'aws:TagKeys': ['rcp:onboarding-id'] }))).toBe(true);
    expect(isAllowed(policy, onSecret('TagResource', { 'aws:TagKeys': [...ONBOARDING_TAGS] }))).toBe(true);
    expect(isAllowed(policy, onSecret('TagResource', { 'aws:TagKeys': ['rcp:team'] }))).toBe(false);
    expect(isAllowed(policy, onSecret('TagResource', { 'aws:TagKeys': ['rcp:managed', 'rcp:team'] }))).toBe(false);
    expect(isAllowed(policy, onSecret('TagResource', { 'aws:TagKeys': ['rcp:admin-credential'] }))).toBe(false);
    expect(isAllowed(policy, onSecret('TagResource'))).toBe(false);
  });

  it('rotates, cancels, moves labels and removes its tags only on secrets the control plane marked', () => {
    for (const action of ['RotateSecret', 'CancelRotateSecret', 'UpdateSecretVersionStage']) {
      expect(isAllowed(policy, onSecret(action, marked)), action).toBe(true);
      expect(isAllowed(policy, onSecret(action, managed)), action).toBe(false);
    }
    expect(isAllowed(policy, onSecret('UntagResource', { ...marked, 'aws:TagKeys': ['rcp:managed', 'rcp:onboarding-id'] }))).toBe(true);
    expect(isAllowed(policy, onSecret('UntagResource', { 'aws:TagKeys': ['rcp:managed'] }))).toBe(false);
    expect(isAllowed(policy, onSecret('UntagResource', { ...marked, 'aws:TagKeys': ['rcp:team'] }))).toBe(false);
  });

  it('describes any secret and lists its versions, in any region of the account only', () => {
    expect(isAllowed(policy, onSecret('DescribeSecret'))).toBe(true);
    expect(isAllowed(policy, onSecret('ListSecretVersionIds'))).toBe(true);
    expect(isAllowed(policy, { action: 'secretsmanager:DescribeSecret', resource: secret.replace('eu-west-1', 'ap-south-1') })).toBe(true);
    expect(isAllowed(policy, { action: 'secretsmanager:DescribeSecret', resource: secret.replace(MEMBER, '444455556666') })).toBe(false);
  });

  it('may invoke the central fleet rotators, as RotateSecret requires of its caller, and no other function', () => {
    expect(isAllowed(policy, { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:us-east-1:${CENTRAL}:function:fleet-rotator` })).toBe(true);
    expect(isAllowed(policy, { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:us-east-1:${CENTRAL}:function:fleet-rotator-Orders` })).toBe(true);
    expect(isAllowed(policy, { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:us-east-1:${CENTRAL}:function:other` })).toBe(false);
    expect(isAllowed(policy, { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:us-east-1:${MEMBER}:function:fleet-rotator` })).toBe(false);
  });
});

describe('rcp-member-rotation', () => {
  let policy: Statement[];
  beforeAll(() => (policy = deployedRole('rcp-member-rotation', withExternalId).policy));

  it('reads and writes only secrets tagged rcp:managed=true', () => {
    for (const action of ['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage']) {
      expect(isAllowed(policy, onSecret(action, managed)), action).toBe(true);
      expect(isAllowed(policy, onSecret(action, { 'secretsmanager:ResourceTag/rcp:managed': 'false' })), action).toBe(false);
      expect(isAllowed(policy, onSecret(action)), action).toBe(false);
    }
  });

  it('only reads secrets being onboarded and admin credentials tagged rcp:admin-credential=true', () => {
    for (const context of [marked, { 'secretsmanager:ResourceTag/rcp:admin-credential': 'true' }]) {
      expect(isAllowed(policy, onSecret('GetSecretValue', context))).toBe(true);
      expect(isAllowed(policy, onSecret('DescribeSecret', context))).toBe(true);
      expect(isAllowed(policy, onSecret('PutSecretValue', context))).toBe(false);
      expect(isAllowed(policy, onSecret('UpdateSecretVersionStage', context))).toBe(false);
    }
  });

  it('makes passwords, uses KMS only through Secrets Manager, and changes nothing else', () => {
    expect(isAllowed(policy, { action: 'secretsmanager:GetRandomPassword', resource: '*' })).toBe(true);
    const key = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    expect(isAllowed(policy, { action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } })).toBe(true);
    expect(isAllowed(policy, { action: 'kms:Decrypt', resource: key })).toBe(false);
    expect(isAllowed(policy, { action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } })).toBe(false);
    for (const action of ['TagResource', 'UntagResource', 'RotateSecret', 'DeleteSecret', 'PutResourcePolicy']) {
      expect(isAllowed(policy, onSecret(action, { ...managed, ...marked })), action).toBe(false);
    }
  });
});

describe('rcp-member-inventory', () => {
  let policy: Statement[];
  beforeAll(() => (policy = deployedRole('rcp-member-inventory', withExternalId).policy));

  it('lists and describes secrets', () => {
    expect(isAllowed(policy, { action: 'secretsmanager:ListSecrets', resource: '*' })).toBe(true);
    expect(isAllowed(policy, onSecret('DescribeSecret'))).toBe(true);
    expect(isAllowed(policy, onSecret('ListSecretVersionIds'))).toBe(true);
  });

  it('has no statement allowing a value to be read, and denies it outright', () => {
    const allows = policy.filter((s) => s.Effect === 'Allow').flatMap(actions);
    expect(allows.sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:ListSecrets']);
    expect(policy.filter((s) => s.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'], Resource: '*' }),
    ]);
    // Even alongside a policy that would allow it.
    const broad: Statement = { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' };
    expect(isAllowed([...policy, broad], onSecret('GetSecretValue', managed))).toBe(false);
  });
});

describe('RcpMemberForwarding', () => {
  const rules = () => resourcesOfType(forwarding as never, 'AWS::Events::Rule').map(([, p]) => deployedValue(forwarding, p, { CentralEventBusArn: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/rcp-org-events` }) as Json);

  it("forwards Secrets Manager's rotation outcomes and the calls that change a secret from the default bus", () => {
    const patterns = rules().map((r) => r.EventPattern);
    expect(patterns).toEqual([
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationStarted', 'RotationSucceeded', 'RotationFailed', 'RotationAbandoned'] },
      },
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotateSecret', 'CancelRotateSecret', 'CreateSecret', 'DeleteSecret', 'RestoreSecret', 'TagResource', 'UntagResource', 'PutSecretValue', 'UpdateSecret'],
        },
      },
    ]);
    for (const rule of rules()) {
      expect(rule.EventBusName).toBeUndefined(); // the default bus, where AWS services put their events
      expect(rule.State).toBe('ENABLED');
    }
  });

  it('sends them to the central bus through a role that only EventBridge of this account may use, allowed only PutEvents there', () => {
    const [roleId, role] = resourcesOfType(forwarding as never, 'AWS::IAM::Role')[0]!;
    for (const rule of rules()) {
      expect(rule.Targets).toEqual([{ Id: 'Target0', Arn: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/rcp-org-events`, RoleArn: `<${roleId}.Arn>` }]);
    }
    expect(deployedValue(forwarding, role.AssumeRolePolicyDocument, {})).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': MEMBER } } }],
    });
    const policy = deployedValue(forwarding, roleStatements(forwarding as never, roleId), { CentralEventBusArn: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/rcp-org-events` });
    expect(policy).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/rcp-org-events` }]);
  });
});

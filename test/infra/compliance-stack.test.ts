import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, CENTRAL_STAGE } from '../../infra/aws/bin/app.ts';
import type { SecretRotationControlPlane } from '../../infra/aws/index.ts';
import { actions, cdkOutdir, removeCdkOutdirs, resourcesOfType, roleStatements, type Json } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

const POLICY = { defaults: { maxDaysSinceRotation: 60 }, teams: { orders: { requiredTagKeys: ['cost-center'] } } };
const AUDITORS = ['arn:aws:sts::111122223333:assumed-role/security-audit/*'];
let template: Template;

beforeAll(() => {
  // As `npx cdk synth -c rcp:memberAccountIds=… -c rcp:auditorPrincipals=… -c rcp:compliancePolicy=…` builds it; synth runs cdk-nag.
  const app = buildApp(
    new App({
      outdir: cdkOutdir(),
      context: { 'rcp:memberAccountIds': '444455556666', 'rcp:externalId': 'ext-id-1', 'rcp:auditorPrincipals': JSON.stringify(AUDITORS), 'rcp:compliancePolicy': JSON.stringify(POLICY) },
    }),
    { bundle: false },
  );
  app.synth();
  template = Template.fromStack((app.node.findChild(CENTRAL_STAGE) as SecretRotationControlPlane).controlPlane);
}, 120_000);

const complianceFunction = () => resourcesOfType((template.toJSON() as never), 'AWS::Lambda::Function').find(([, p]) => String(p.Description).startsWith('compliance:'))!;

describe('the compliance evaluator in the CDK app', () => {
  it('runs hourly, and on the secret events of member accounts (central bus) and of this account (default bus)', () => {
    const [id] = complianceFunction();
    const rules = resourcesOfType((template.toJSON() as never), 'AWS::Events::Rule').filter(([, p]) => JSON.stringify(p.Targets).includes(id));
    expect(rules.map(([, p]) => p.ScheduleExpression).filter(Boolean)).toEqual(['rate(1 hour)']);
    const patterns = rules.filter(([, p]) => p.EventPattern).map(([, p]) => p.EventPattern as { source: string[]; detail: { eventName: string[] } });
    expect(patterns).toHaveLength(2);
    for (const pattern of patterns) {
      expect(pattern.source).toEqual(['aws.secretsmanager']);
      expect(pattern.detail.eventName).toEqual(expect.arrayContaining(['RotationSucceeded', 'RotationFailed', 'RotateSecret', 'CancelRotateSecret', 'CreateSecret', 'DeleteSecret', 'TagResource']));
    }
    expect(rules.map(([, p]) => JSON.stringify(p.EventBusName ?? 'default'))).toEqual(expect.arrayContaining([expect.stringContaining('default'), expect.stringContaining('OrgEventsBus')]));
  });

  it('has the central compliance role, assumes only the member inventory role, and never reads a value', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['rcp-central-compliance-'])] }) });
    const [, props] = complianceFunction();
    const role = ((props.Role as Json)['Fn::GetAtt'] as string[])[0]!;
    const statements = roleStatements((template.toJSON() as never), role);
    const all = statements.flatMap(actions);
    expect(all).not.toContain('secretsmanager:GetSecretValue');
    expect(all.filter((a) => a.startsWith('secretsmanager:')).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:ListSecrets']);
    const assume = statements.filter((s) => actions(s).includes('sts:AssumeRole'));
    expect(JSON.stringify(assume)).toContain('role/rcp-member-inventory');
    expect(JSON.stringify(assume)).not.toContain('rcp-member-rotation');
    expect(JSON.stringify(assume)).not.toContain('rcp-member-onboarding');
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(env.RCP_COMPLIANCE_POLICY as string)).toEqual(POLICY);
    expect(env.RCP_MEMBER_ACCOUNT_IDS).toBe('444455556666');
  });

  it('gives the API the auditors and lets it start an evaluation', () => {
    const api = resourcesOfType((template.toJSON() as never), 'AWS::Lambda::Function').find(([, p]) => String(p.Description).startsWith('REST API'))!;
    const env = (api[1].Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(env.RCP_AUDITOR_PRINCIPALS as string)).toEqual(AUDITORS);
    expect(JSON.stringify(env.COMPLIANCE_FUNCTION_ARN)).toContain(complianceFunction()[0]);
  });

  it('refuses a compliance policy that is not one, naming the field', () => {
    expect(() => buildApp(new App({ outdir: cdkOutdir(), context: { 'rcp:compliancePolicy': '{"defaults":{"unusedForDays":0}}' } }), { bundle: false, checks: false })).toThrow(/defaults\.unusedForDays/);
  });
});

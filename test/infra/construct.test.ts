import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CodePipeline, CodePipelineSource, ShellStep } from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// What a platform team imports: the package's CDK entry (package.json "exports": "./cdk").
import { centralRoleName, SecretRotationControlPlane, settingsFromContext, type SecretRotationControlPlaneProps } from '../../infra/aws/index.ts';
import { actions, cdkOutdir, removeCdkOutdirs, resourcesOfType, roleNamed, roleStatements, type Json, type Statement } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

const CENTRAL = { account: '111122223333', region: 'eu-west-1' };
const SETTINGS: SecretRotationControlPlaneProps = {
  env: CENTRAL,
  teamPrincipals: { 'arn:aws:sts::111122223333:assumed-role/payments-*': 'payments' },
  organization: { organizationId: 'o-a1b2c3d4e5', memberAccountIds: ['444455556666'], externalId: 'rcp-7f3a' },
  placements: [
    {
      name: 'Payments',
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a'],
      subnetIds: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      routeTableIds: ['rtb-0123456789abcdef0'],
    },
  ],
  stackNames: { audit: 'payments-rcp-audit', rotator: 'payments-rcp-rotator', controlPlane: 'payments-rcp' },
  // Placeholder code: cdk-nag and the templates do not depend on the bundles (the CLI test bundles).
  bundle: false,
};

/** The violations cdk-nag reported (after acknowledgements) for constructs under a path. */
function violationsUnder(outdir: string, path: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.filter((c) => c.constructPath.startsWith(path)).map((c) => `${v.ruleName} ${c.constructPath}`)));
}

describe("a platform team's own CDK app", () => {
  let outdir: string;
  let stage: SecretRotationControlPlane;
  let t: { audit: Json; rotator: Json; controlPlane: Json };

  beforeAll(() => {
    outdir = cdkOutdir();
    const app = new App({ outdir });
    stage = new SecretRotationControlPlane(app, 'Prod', SETTINGS);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth(); // throws on any cdk-nag finding not acknowledged
    t = { audit: Template.fromStack(stage.audit).toJSON(), rotator: Template.fromStack(stage.rotator).toJSON(), controlPlane: Template.fromStack(stage.controlPlane).toJSON() };
  });

  it('synthesises the three stacks in its own account and region under its own names, cdk-nag clean', () => {
    expect(violationsUnder(outdir, 'Prod/')).toEqual([]);
    expect([stage.audit, stage.rotator, stage.controlPlane].map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['payments-rcp-audit', CENTRAL.account, CENTRAL.region],
      ['payments-rcp-rotator', CENTRAL.account, CENTRAL.region],
      ['payments-rcp', CENTRAL.account, CENTRAL.region],
    ]);
    expect(stage.controlPlane.dependencies).toEqual(expect.arrayContaining([stage.audit, stage.rotator]));
    // Names carry the stage's region where they are known.
    expect(roleNamed(t.rotator as never, 'rcp-central-rotator-eu-west-1')).toBeTruthy();
    expect(roleNamed(t.rotator as never, 'rcp-central-rotator-Payments-eu-west-1')).toBeTruthy();
  });

  it("lets the organisation's accounts and the listed members send Secrets Manager events to the central bus, and nothing else", () => {
    const policies = resourcesOfType(t.audit as never, 'AWS::Events::EventBusPolicy').map(([, p]) => p.Statement as Statement & { Sid: string });
    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'events:source': 'aws.secretsmanager' } },
        }),
        expect.objectContaining({
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] } },
          Action: 'events:PutEvents',
          Condition: { StringEquals: { 'events:source': 'aws.secretsmanager' } },
        }),
      ]),
    );
    expect(policies).toHaveLength(2);
    for (const [, p] of resourcesOfType(t.audit as never, 'AWS::Events::EventBusPolicy')) expect(JSON.stringify(p.EventBusName)).toContain('OrgEventsBus');
  });

  it('lets each central role assume only its member role: in the listed accounts, and in the organisation', () => {
    const assumable = (template: Json, roleName: string) =>
      roleStatements(template as never, roleNamed(template as never, roleName))
        .filter((s) => actions(s).includes('sts:AssumeRole'))
        .map((s) => ({ resource: JSON.stringify(s.Resource), condition: s.Condition }));
    const expected = (role: string) => [
      { resource: expect.stringContaining(`:iam::444455556666:role/${role}`), condition: undefined },
      { resource: expect.stringContaining(`:iam::*:role/${role}`), condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } } },
    ];
    expect(assumable(t.rotator, 'rcp-central-rotator-eu-west-1')).toEqual(expected('rcp-member-rotation'));
    expect(assumable(t.rotator, 'rcp-central-rotator-Payments-eu-west-1')).toEqual(expected('rcp-member-rotation'));
    for (const step of ['Validate', 'Preflight', 'TagSecret', 'ConfigureRotation', 'AwaitFirstRotation', 'Compensate']) {
      expect(assumable(t.controlPlane, `rcp-central-onboarding-${step}-eu-west-1`), step).toEqual(expected('rcp-member-onboarding'));
    }
    // Steps that touch no secret assume nothing.
    for (const step of ['EnsureNetwork', 'EnsureInvokePermission', 'RecordSuccess', 'RecordFailure']) {
      expect(assumable(t.controlPlane, `rcp-central-onboarding-${step}-eu-west-1`), step).toEqual([]);
    }
    expect(assumable(t.controlPlane, 'rcp-central-api-eu-west-1')).toEqual([...expected('rcp-member-onboarding'), ...expected('rcp-member-inventory')]);
  });

  it('tells the functions that assume member roles the external id to send', () => {
    const env = (template: Json, id: string) =>
      (resourcesOfType(template as never, 'AWS::Lambda::Function').find(([logicalId]) => logicalId.startsWith(id))![1].Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env(t.rotator, 'FleetRotator').RCP_MEMBER_EXTERNAL_ID).toBe('rcp-7f3a');
    expect(env(t.controlPlane, 'StepConfigureRotation').RCP_MEMBER_EXTERNAL_ID).toBe('rcp-7f3a');
    expect(env(t.controlPlane, 'ApiHandler').RCP_MEMBER_EXTERNAL_ID).toBe('rcp-7f3a');
    expect(env(t.controlPlane, 'StepRecordSuccess').RCP_MEMBER_EXTERNAL_ID).toBeUndefined();
    expect(JSON.parse(env(t.controlPlane, 'ApiHandler').RCP_TEAM_PRINCIPALS as string)).toEqual(SETTINGS.teamPrincipals);
  });
});

describe('in a CDK pipeline', () => {
  it('is a stage the pipeline deploys stack by stack, in dependency order, cdk-nag clean in the target account', () => {
    const outdir = cdkOutdir();
    const app = new App({ outdir });
    const pipelineStack = new Stack(app, 'PlatformPipeline', { env: CENTRAL });
    const pipeline = new CodePipeline(pipelineStack, 'Pipeline', {
      crossAccountKeys: true,
      synth: new ShellStep('Synth', {
        input: CodePipelineSource.connection('platform/infra', 'main', { connectionArn: `arn:aws:codeconnections:eu-west-1:${CENTRAL.account}:connection/0a1b2c3d` }),
        commands: ['npm ci', 'npx cdk synth'],
      }),
    });
    const prod = new SecretRotationControlPlane(pipelineStack, 'Prod', { env: { account: '777788889999', region: 'eu-west-1' }, bundle: false, organization: { organizationId: 'o-a1b2c3d4e5' } });
    pipeline.addStage(prod);
    Validations.of(prod).addPlugins(new AwsSolutionsChecks(prod));
    // cdk-nag also reports the pipeline's own resources (a sample pipeline, not acknowledged here):
    // those are the platform team's business, the stage's must be clean.
    expect(() => app.synth()).toThrow(/AwsSolutions/);
    expect(violationsUnder(outdir, 'PlatformPipeline/Pipeline/').length).toBeGreaterThan(0);
    expect(violationsUnder(outdir, 'PlatformPipeline/Prod/')).toEqual([]);

    const pipelineTemplate = JSON.parse(readFileSync(join(outdir, 'PlatformPipeline.template.json'), 'utf8'));
    const [, codePipeline] = resourcesOfType(pipelineTemplate, 'AWS::CodePipeline::Pipeline')[0]!;
    const prodActions = (codePipeline.Stages as Array<{ Name: string; Actions: Array<{ Name: string; RunOrder: number; RoleArn?: unknown }> }>).find((s) => s.Name === 'Prod')!.Actions;
    const order = (name: string) => prodActions.find((a) => a.Name === name)!.RunOrder;
    expect(prodActions.map((a) => a.Name).sort()).toEqual(['RcpAudit.Deploy', 'RcpAudit.Prepare', 'RcpConsole.Deploy', 'RcpConsole.Prepare', 'RcpControlPlane.Deploy', 'RcpControlPlane.Prepare', 'RcpRotator.Deploy', 'RcpRotator.Prepare']);
    expect(order('RcpAudit.Deploy')).toBeLessThan(order('RcpRotator.Prepare'));
    expect(order('RcpRotator.Deploy')).toBeLessThan(order('RcpControlPlane.Prepare'));
    expect(order('RcpControlPlane.Deploy')).toBeLessThan(order('RcpConsole.Prepare'));
    // Deployed into the target account through its bootstrap roles.
    expect(JSON.stringify(prodActions)).toContain('777788889999:role/cdk-hnb659fds-deploy-role-777788889999-eu-west-1');
  });
});

describe('settings', () => {
  const build = (props: SecretRotationControlPlaneProps) => () => new SecretRotationControlPlane(new App({ outdir: cdkOutdir() }), 'Prod', { bundle: false, ...props });

  it('refuses wrong ones before building anything, naming each and what it should be', () => {
    const placement = SETTINGS.placements![0]!;
    expect(build({ placements: [{ ...placement, vpcId: 'vpc-nope' }] })).toThrow(/placements\.0\.vpcId: a VPC id \(vpc-…\)/);
    expect(build({ placements: [placement, { ...placement, name: 'payments' }] })).toThrow(/placements: two placements are named "payments"/);
    expect(build({ placements: [{ ...placement, name: 'A-very-long-placement-name' }] })).toThrow(/placements\.0\.name: a letter, then letters and digits, 20 characters at most/);
    expect(build({ organization: { organizationId: 'org-1', memberAccountIds: ['12345'] } })).toThrow(
      /organization\.organizationId: an organization id \(o-…\)\n {2}organization\.memberAccountIds\.0: an AWS account id \(12 digits\)/,
    );
    expect(build({ teamPrincipals: { 'payments-*': 'payments' } })).toThrow(/teamPrincipals\.payments-\*: an IAM or STS ARN pattern/);
    expect(build({ organization: { externalId: 'has spaces in it' } })).toThrow(/organization\.externalId: 2 to 1224 characters/);
  });

  it('come from context values as the command line gives them, errors naming the context value', () => {
    const fromContext = (context: Record<string, unknown>) => settingsFromContext(new App({ outdir: cdkOutdir(), context }).node);
    expect(
      fromContext({
        'rcp:placements': JSON.stringify(SETTINGS.placements),
        'rcp:teamPrincipals': JSON.stringify(SETTINGS.teamPrincipals),
        'rcp:organizationId': 'o-a1b2c3d4e5',
        'rcp:memberAccountIds': '444455556666, 777788889999',
        'rcp:externalId': 'rcp-7f3a',
      }),
    ).toEqual({
      placements: SETTINGS.placements,
      teamPrincipals: SETTINGS.teamPrincipals,
      organization: { organizationId: 'o-a1b2c3d4e5', memberAccountIds: ['444455556666', '777788889999'], externalId: 'rcp-7f3a' },
    });
    expect(fromContext({ 'rcp:memberAccountIds': '["444455556666"]' }).organization).toEqual({ memberAccountIds: ['444455556666'] });
    expect(fromContext({})).toEqual({ placements: undefined, teamPrincipals: undefined, organization: undefined });
    expect(() => fromContext({ 'rcp:placements': '[{"name":' })).toThrow(/context value rcp:placements is not valid JSON/);
    expect(() => fromContext({ 'rcp:placements': JSON.stringify([{ ...SETTINGS.placements![0], subnetIds: ['sub-1'] }]) })).toThrow(/context rcp:placements\.0\.subnetIds\.0: a subnet id/);
    expect(() => fromContext({ 'rcp:organizationId': 'o-1' })).toThrow(/context rcp:organizationId: an organization id/);
  });

  it('keep every central role name within IAM’s 64 characters in any region', () => {
    expect(centralRoleName('onboarding', 'us-isof-south-1', 'EnsureInvokePermission')).toBe('rcp-central-onboarding-EnsureInvokePermission-us-isof-south-1');
    expect(() => centralRoleName('onboarding', 'us-east-1', 'AStepNameFarTooLongForAnyRoleNameToHold')).toThrow(/longer than IAM's 64 characters: keep "AStepNameFarTooLongForAnyRoleNameToHold" to 25 characters/);
    expect(() => centralRoleName('rotator', 'us-east-1', 'with-dash')).toThrow(/letters and digits only/);
  });
});

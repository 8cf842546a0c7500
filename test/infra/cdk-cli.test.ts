import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/aws/lib/lambda-bundle.ts';
import { cdkOutdir, removeCdkOutdirs, resourcesOfType, type Json } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

/**
 * The CDK CLI itself (the pinned aws-cdk), as a user runs it from the project folder: it runs the
 * app from cdk.json and reads the cloud assembly aws-cdk-lib writes. In-process synthesis alone once
 * missed a CLI that could not read that assembly.
 */
const run = promisify(execFile);
const cdk = (args: string[]) =>
  run(join(PROJECT_ROOT, 'node_modules/.bin/cdk'), [...args, '--no-notices'], {
    cwd: PROJECT_ROOT,
    // No telemetry and no version check: the CLI must not reach out from a test.
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true' },
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });

const CONTEXT = {
  'rcp:teamPrincipals': JSON.stringify({ 'arn:aws:sts::111122223333:assumed-role/orders-*': 'orders' }),
  'rcp:organizationId': 'o-a1b2c3d4e5',
  'rcp:externalId': 'rcp-7f3a',
};
const contextArgs = Object.entries(CONTEXT).flatMap(([k, v]) => ['--context', `${k}=${v}`]);

let outdir: string;
let synthOutput: string;
let templates: Record<string, { Resources: Record<string, { Type: string; Properties?: Json }>; Parameters?: Json }>;

beforeAll(async () => {
  outdir = cdkOutdir();
  // '**': every stack, the central stage's included (a bare `cdk synth` validates only top-level stacks).
  const { stdout, stderr } = await cdk(['synth', '**', '--output', outdir, '--quiet', ...contextArgs]);
  synthOutput = stdout + stderr;
  templates = Object.fromEntries(new CloudAssembly(outdir).stacksRecursively.map((s) => [s.stackName, s.template]));
}, 240_000);

describe('npx cdk synth', () => {
  it('writes every stack of the app: the central stage and the member stacks', () => {
    expect(synthOutput).toContain(`Successfully synthesized to ${outdir}`);
    expect(Object.keys(templates).sort()).toEqual(['RcpAudit', 'RcpConsole', 'RcpControlPlane', 'RcpMemberForwarding', 'RcpMemberRoles', 'RcpRotator']);
    // The central stacks are in the stage's nested assembly, the member templates at the top, ready for StackSets.
    expect(existsSync(join(outdir, 'RcpMemberRoles.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'RcpMemberForwarding.template.json'))).toBe(true);
  });

  it('passes cdk-nag on every stack', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> };
    expect(report.pluginReports.flatMap((p) => p.violations)).toEqual([]);
  });

  it('bundles the fleet rotator and puts the key resources in each template', () => {
    const [, rotator] = resourcesOfType(templates.RcpRotator!, 'AWS::Lambda::Function').find(([, p]) => p.FunctionName === 'fleet-rotator')!;
    expect(rotator.Runtime).toBe('nodejs22.x');
    const asset = resourcesOfType(templates.RcpRotator!, 'AWS::Lambda::Function').map(([id]) => templates.RcpRotator!.Resources[id] as { Metadata?: Record<string, string> })[0]!.Metadata!['aws:asset:path']!;
    expect(existsSync(join(outdir, 'assembly-Rcp', asset, 'handler.mjs'))).toBe(true);

    expect(resourcesOfType(templates.RcpAudit!, 'AWS::Events::EventBus').map(([, p]) => p.Name).sort()).toEqual(['rcp-audit', 'rcp-org-events']);
    expect(resourcesOfType(templates.RcpControlPlane!, 'AWS::StepFunctions::StateMachine').map(([, p]) => p.StateMachineName)).toEqual(['rcp-onboarding']);
    expect(resourcesOfType(templates.RcpControlPlane!, 'AWS::ApiGateway::RestApi').map(([, p]) => p.Name)).toEqual(['rcp-api']);
    // The console: its built files uploaded to the bucket CloudFront serves, the API under /v1/*.
    expect(resourcesOfType(templates.RcpConsole!, 'Custom::CDKBucketDeployment')).toHaveLength(1);
    expect(resourcesOfType(templates.RcpConsole!, 'AWS::CloudFront::Distribution')).toHaveLength(1);
    expect(resourcesOfType(templates.RcpConsole!, 'AWS::ApiGateway::RestApi').map(([, p]) => p.Name)).toEqual(['rcp-console-api']);
    expect(resourcesOfType(templates.RcpMemberRoles!, 'AWS::IAM::Role').map(([, p]) => p.RoleName).sort()).toEqual(['rcp-member-inventory', 'rcp-member-onboarding', 'rcp-member-rotation']);
    expect(resourcesOfType(templates.RcpMemberForwarding!, 'AWS::Events::Rule')).toHaveLength(2);
  });

  it('maps the context values given on the command line to the settings', () => {
    const [, api] = resourcesOfType(templates.RcpControlPlane!, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ApiHandler'))!;
    const env = (api.Environment as { Variables: Record<string, string> }).Variables;
    expect(JSON.parse(env.RCP_TEAM_PRINCIPALS!)).toEqual(JSON.parse(CONTEXT['rcp:teamPrincipals']));
    expect(env.RCP_MEMBER_EXTERNAL_ID).toBe('rcp-7f3a');
    const busPolicies = resourcesOfType(templates.RcpAudit!, 'AWS::Events::EventBusPolicy').map(([, p]) => JSON.stringify(p.Statement));
    expect(busPolicies).toEqual([expect.stringContaining('"aws:PrincipalOrgID":"o-a1b2c3d4e5"')]);
  });
});

describe('npx cdk ls', () => {
  it('lists every stack of the assembly the app wrote', async () => {
    const { stdout } = await cdk(['ls', '--app', outdir]);
    expect(stdout.trim().split('\n')).toEqual(['RcpMemberRoles', 'RcpMemberForwarding', 'Rcp/RcpAudit (RcpAudit)', 'Rcp/RcpRotator (RcpRotator)', 'Rcp/RcpControlPlane (RcpControlPlane)', 'Rcp/RcpConsole (RcpConsole)']);
  });
});

describe('a wrong context value', () => {
  it('fails the CLI with a message that names it', async () => {
    const failed = await cdk(['synth', '**', '--output', cdkOutdir(), '--quiet', '--context', 'rcp:memberAccountIds=1234,444455556666']).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('context rcp:memberAccountIds.0: an AWS account id (12 digits)');
  }, 240_000);
});

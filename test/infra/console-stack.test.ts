import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleStack } from '../../infra/aws/lib/console-stack.ts';
import { buildConsole, CONSOLE_DIST } from '../../infra/local/console-files.ts';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, CENTRAL_STAGE } from '../../infra/aws/bin/app.ts';
import type { SecretRotationControlPlane } from '../../infra/aws/index.ts';
import { cdkOutdir, removeCdkOutdirs, type Json } from './template-helpers.ts';

afterAll(removeCdkOutdirs);

let template: Template;
const TEAM_PRINCIPALS = { 'arn:aws:sts::111122223333:assumed-role/orders-deployer/*': 'orders', 'arn:aws:sts::111122223333:assumed-role/payments-ci/*': 'payments' };

beforeAll(() => {
  const app = buildApp(new App({ outdir: cdkOutdir(), context: { 'rcp:teamPrincipals': JSON.stringify(TEAM_PRINCIPALS) } }), { bundle: false });
  const stage = app.node.findChild(CENTRAL_STAGE) as SecretRotationControlPlane;
  // synth runs cdk-nag's AwsSolutions checks and throws on any finding not acknowledged with a reason
  app.synth();
  template = Template.fromStack(stage.console);
}, 120_000);

describe('the console stack', () => {
  it('keeps the files in a private, encrypted bucket that only CloudFront reads, through origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'site/' }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } } })]) },
    });
  });

  it('serves the API under the same origin: /v1/* goes uncached to an API Gateway stage, everything else to the bucket with a deep-link rewrite', () => {
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as Json;
    const config = (distribution.Properties as Json).DistributionConfig as Json;
    const behaviors = config.CacheBehaviors as Json[];
    expect(behaviors.map((b) => b.PathPattern)).toEqual(['/v1/*']);
    expect(behaviors[0]!.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    expect(behaviors[0]!.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    expect((config.DefaultCacheBehavior as Json).FunctionAssociations).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp("'/index.html'") });
    expect(config.Logging).toBeDefined();
  });

  it("the console's API takes the user pool's tokens (Cognito authoriser) and proxies to the same API function", () => {
    const api = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0] as Json;
    const body = (api.Properties as Json).Body as Json;
    const scheme = ((body.components as Json).securitySchemes as Json).cognito as Json;
    expect(scheme['x-amazon-apigateway-authtype']).toBe('cognito_user_pools');
    const paths = body.paths as Record<string, Record<string, Json>>;
    expect(paths['/v1/secrets']!.get!.security).toEqual([{ cognito: [] }]);
    expect(paths['/v1/health']!.get!['x-amazon-apigateway-auth']).toEqual({ type: 'NONE' });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', FunctionName: Match.anyValue() });
  });

  it('has a user pool with MFA and no self sign-up, a group per team and one for auditors, and a PKCE client calling back to the console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => (g as { Properties: { GroupName: string } }).Properties.GroupName);
    expect(groups.sort()).toEqual(['auditors', 'team-orders', 'team-payments']);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false, AllowedOAuthFlows: ['code'], CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })] });
  });
});

describe('the console stack with the built console', () => {
  it('uploads the files and a config.json that points the sign-in at the user pool, cdk-nag clean', async () => {
    await buildConsole();
    for (const env of [undefined, { account: '777788889999', region: 'eu-west-1' }]) {
      const app = new App({ outdir: cdkOutdir() });
      const functions = new Stack(app, 'Functions', { env });
      const stack = new ConsoleStack(app, 'Console', {
        env,
        apiFunction: LambdaFunction.fromFunctionArn(functions, 'Api', 'arn:aws:lambda:eu-west-1:777788889999:function:rcp-api'),
        teams: ['orders'],
        consoleDir: CONSOLE_DIST,
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      app.synth(); // throws on any cdk-nag finding not acknowledged
      const deployment = Template.fromStack(stack).findResources('Custom::CDKBucketDeployment');
      expect(Object.keys(deployment)).toHaveLength(1);
      const sources = JSON.stringify(Object.values(deployment)[0]);
      // config.json is written at deploy time with the pool's id and the client's (markers CDK fills in).
      expect(sources).toContain('SourceMarkers');
      expect(sources).toContain(stack.getLogicalId(stack.userPool.node.defaultChild as CfnElement));
      expect(sources).toContain(stack.getLogicalId(stack.client.node.defaultChild as CfnElement));
    }
  }, 120_000);
});

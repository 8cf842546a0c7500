import { Duration } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda, PROJECT_ROOT } from './lambda-bundle.ts';

/** Every Lambda of the product: Node 22 on arm64, bundled by `bundleLambda`, its own log group with a retention. */
const bundles = new Map<string, string>();

/**
 * `bundle: false` synthesises without building code (the embedded default only needs the
 * workflow's ASL); functions sharing an entry share one bundle.
 */
export function productFunction(
  scope: Construct,
  id: string,
  entry: string,
  props: Partial<FunctionProps> & { bundle?: boolean; extraFiles?: string[] } = {},
): LambdaFunction {
  const { bundle = true, extraFiles = [], ...functionProps } = props;
  let outdir = bundles.get(entry);
  if (bundle && !outdir) {
    outdir = mkdtempSync(join(tmpdir(), 'rcp-lambda-'));
    bundleLambda(entry, outdir);
    // Files the code reads at run time (the API reads openapi.yaml), next to the bundle.
    for (const file of extraFiles) copyFileSync(join(PROJECT_ROOT, file), join(outdir, file));
    bundles.set(entry, outdir);
  }
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS });
  // Its own role that may write only its own log group (instead of the broad managed policy).
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  if (functionProps.vpc) {
    // What AWSLambdaVPCAccessExecutionRole grants, which CDK adds only to roles it makes itself.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }),
    );
  }
  return new LambdaFunction(scope, id, {
    role,
    code: bundle ? Code.fromAsset(outdir!) : Code.fromInline('export const handler = () => { throw new Error("synthesised without code"); };'),
    handler: 'handler.handler',
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(30),
    tracing: Tracing.ACTIVE,
    logGroup,
    ...functionProps,
  });
}

import { Duration, Stack, type CfnResource } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda, PROJECT_ROOT } from './lambda-bundle.ts';
import { ENTRY_METADATA } from './entry-metadata.ts';

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
  props: Partial<FunctionProps> & { bundle?: boolean; extraFiles?: string[]; roleName?: string } = {},
): LambdaFunction {
  const { bundle = true, extraFiles = [], roleName, ...functionProps } = props;
  let outdir = bundles.get(entry);
  if (bundle && !outdir) {
    outdir = mkdtempSync(join(tmpdir(), 'rcp-lambda-'));
    bundleLambda(entry, outdir);
    // Files the code reads at run time (the API reads openapi.yaml), next to the bundle.
    for (const file of extraFiles) copyFileSync(join(PROJECT_ROOT, file), join(outdir, file));
    bundles.set(entry, outdir);
    // Synthesis copies the bundle into the cloud assembly, so the build folder goes with the process;
    // not when asset staging is off (`cdk synth --no-staging`): the assembly then points at it.
    if (!scope.node.tryGetContext(DISABLE_ASSET_STAGING_CONTEXT)) {
      const built = outdir;
      process.once('exit', () => rmSync(built, { recursive: true, force: true }));
    }
  }
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS });
  // Its own role that may write only its own log group (instead of the broad managed policy).
  // A fixed name where member accounts must be able to trust it (central-role-names.ts).
  const role = new Role(scope, `${id}Role`, { roleName, assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
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
  const fn = new LambdaFunction(scope, id, {
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
    // Lambda does not tell a function its account; the code needs it (shared/runtime/settings.ts homeOf).
    environment: { RCP_ACCOUNT_ID: Stack.of(scope).account, POWERTOOLS_METRICS_NAMESPACE: 'SecretRotationControlPlane', ...functionProps.environment },
  });
  // Which code the function runs: the embedded default runs the same entry in process for it.
  (fn.node.defaultChild as CfnResource).addMetadata(ENTRY_METADATA, entry);
  return fn;
}


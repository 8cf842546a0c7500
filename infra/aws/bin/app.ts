import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditStack } from '../lib/audit-stack.ts';
import { RotatorStack, type RotatorPlacement } from '../lib/rotator-stack.ts';
import { ControlPlaneStack } from '../lib/control-plane-stack.ts';

/**
 * The CDK app. `npx cdk synth` works offline with no AWS account: stacks are environment-agnostic
 * unless CDK_DEFAULT_ACCOUNT/REGION are set. cdk-nag's AwsSolutions checks run on every synth.
 */
export function buildApp(app = new App(), options: { bundle?: boolean; checks?: boolean } = {}): App {
  const bundle = options.bundle ?? true;
  const env = process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined;
  const audit = new AuditStack(app, 'RcpAudit', { env });
  const placementsContext = app.node.tryGetContext('rcp:placements') as string | RotatorPlacement[] | undefined;
  const placements = typeof placementsContext === 'string' ? (JSON.parse(placementsContext) as RotatorPlacement[]) : placementsContext;
  const rotator = new RotatorStack(app, 'RcpRotator', { env, auditBus: audit.bus, bundle, placements });
  new ControlPlaneStack(app, 'RcpControlPlane', { env, auditBus: audit.bus, rotator: rotator.rotator, placements: rotator.placements, bundle });
  if (options.checks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().synth();

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SecretRotationControlPlane } from '../lib/control-plane-stage.ts';
import { MemberForwardingStack } from '../lib/member-forwarding-stack.ts';
import { MemberRolesStack } from '../lib/member-roles-stack.ts';
import { settingsFromContext } from '../lib/stage-settings.ts';

/** The id of the central stage: its stacks are `Rcp/RcpAudit`, `Rcp/RcpRotator`, `Rcp/RcpControlPlane` on the CDK command line. */
export const CENTRAL_STAGE = 'Rcp';

/**
 * The CDK app: the central control plane, a SecretRotationControlPlane stage whose settings come
 * from context values (see stage-settings.ts), and the member-account stacks, template-only, for
 * StackSets. `npx cdk synth` works offline with no AWS account: the central stacks are
 * environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set; the member stacks always are.
 * cdk-nag's AwsSolutions checks run on every synth.
 */
export function buildApp(app = new App(), options: { bundle?: boolean; checks?: boolean } = {}): App {
  const env = process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined;
  new SecretRotationControlPlane(app, CENTRAL_STAGE, { env, bundle: options.bundle ?? true, ...settingsFromContext(app.node) });
  new MemberRolesStack(app, 'RcpMemberRoles');
  new MemberForwardingStack(app, 'RcpMemberForwarding');
  if (options.checks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().synth();

import { AddPermissionCommand, GetPolicyCommand, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { onboardingStep } from '../step-runner.ts';

const PRINCIPAL = 'secretsmanager.amazonaws.com';

/**
 * Secrets Manager must be allowed to invoke the rotator, and only for this account (the
 * aws:SourceAccount condition guards against a confused deputy). The rotator stack grants it;
 * this step verifies it and adds the grant where it is missing.
 */
export const ensureInvokePermission = onboardingStep('EnsureInvokePermission', async (state, deps) => {
  const rotatorArn = state.network?.rotatorArn ?? deps.rotatorArn;
  let statements: Array<{ Principal?: { Service?: string }; Condition?: Record<string, Record<string, string>> }> = [];
  try {
    const policy = await deps.lambda.send(new GetPolicyCommand({ FunctionName: rotatorArn }));
    statements = (JSON.parse(policy.Policy ?? '{}') as { Statement?: typeof statements }).Statement ?? [];
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const granted = statements.some((s) => s.Principal?.Service === PRINCIPAL && Object.values(s.Condition?.StringEquals ?? {}).includes(deps.account));
  if (granted) return { rotatorArn, added: false };
  try {
    await deps.lambda.send(
      new AddPermissionCommand({ FunctionName: rotatorArn, StatementId: 'SecretsManagerRotation', Action: 'lambda:InvokeFunction', Principal: PRINCIPAL, SourceAccount: deps.account }),
    );
  } catch (err) {
    // A concurrent onboarding added it first.
    if (!(err instanceof ResourceConflictException)) throw err;
  }
  return { rotatorArn, added: true };
});

import { AddPermissionCommand, GetPolicyCommand, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { secretLocation } from '../../../shared/accounts.ts';
import { onboardingStep } from '../step-runner.ts';

const PRINCIPAL = 'secretsmanager.amazonaws.com';

/**
 * Secrets Manager of the secret's account must be allowed to invoke the rotator, and only that
 * account's (the aws:SourceAccount condition guards against a confused deputy). The rotator stack
 * grants the central account; this step verifies the grant and adds one per member account.
 */
export const ensureInvokePermission = onboardingStep('EnsureInvokePermission', async (state, deps) => {
  const rotatorArn = state.network?.rotatorArn ?? deps.rotatorArn;
  const { account } = secretLocation(state.validate!.secretArn, deps.home);
  let statements: Array<{ Principal?: { Service?: string }; Condition?: Record<string, Record<string, string>> }> = [];
  try {
    const policy = await deps.lambda.send(new GetPolicyCommand({ FunctionName: rotatorArn }));
    statements = (JSON.parse(policy.Policy ?? '{}') as { Statement?: typeof statements }).Statement ?? [];
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const granted = statements.some((s) => s.Principal?.Service === PRINCIPAL && Object.values(s.Condition?.StringEquals ?? {}).includes(account));
  if (granted) return { rotatorArn, added: false };
  try {
    await deps.lambda.send(
      new AddPermissionCommand({ FunctionName: rotatorArn, StatementId: `SecretsManagerRotation-${account}`, Action: 'lambda:InvokeFunction', Principal: PRINCIPAL, SourceAccount: account }),
    );
  } catch (err) {
    // A concurrent onboarding added it first.
    if (!(err instanceof ResourceConflictException)) throw err;
  }
  return { rotatorArn, added: true };
});

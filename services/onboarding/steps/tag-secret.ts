import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { TAGS } from '../../../shared/names.ts';
import { onboardingStep } from '../step-runner.ts';

/** Marks the secret as managed (the rotator's role may then rotate it), with its strategy. Records which tags are new, for compensation. */
export const tagSecret = onboardingStep('TagSecret', async (state, deps) => {
  const secretArn = state.validate!.secretArn;
  const tags = [
    { Key: TAGS.managed, Value: 'true' },
    { Key: TAGS.strategy, Value: state.preflight!.strategy },
    ...(state.request.serviceType ? [{ Key: TAGS.serviceType, Value: state.request.serviceType }] : []),
  ];
  // Against the tags before onboarding began (Validate's snapshot), so a retried step reports the same.
  const before = new Set(state.validate!.tagKeysBefore);
  await deps.smFor(secretArn).send(new TagResourceCommand({ SecretId: secretArn, Tags: tags }));
  return { added: [TAGS.onboardingId, ...tags.map((t) => t.Key).filter((k) => !before.has(k))] };
});

import { failed } from '../errors.ts';
import { onboardingStep } from '../step-runner.ts';

/**
 * A service inside a VPC is rotated by the rotator placed in that VPC (which also needs a
 * Secrets Manager endpoint there; its stack creates one). Without a placement request the
 * fleet rotator outside any VPC does the work.
 */
export const ensureNetwork = onboardingStep('EnsureNetwork', async (state, deps) => {
  const network = state.request.network;
  if (!network) return { rotatorArn: deps.rotatorArn, placement: 'default' };
  const rotatorArn = deps.placements[network.vpcId];
  if (!rotatorArn) {
    const known = Object.keys(deps.placements);
    throw failed(
      'NoRotatorPlacement',
      `no fleet rotator is placed in ${network.vpcId}${known.length ? ` (placements: ${known.join(', ')})` : ''}: deploy the rotator stack with a placement for this VPC (CDK context rcp:placements)`,
    );
  }
  return { rotatorArn, placement: network.vpcId };
});

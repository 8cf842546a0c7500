import { RotationError } from '../../../shared/errors/rotation-error.ts';
import { TAGS } from '../../../shared/names.ts';
import type { ParsedSecret } from '../secret-value.ts';
import { STRATEGIES, type Strategy } from '../types.ts';
import { alternatingUsers } from './alternating-users.ts';
import { dualPassword } from './dual-password.ts';
import { singleUser } from './single-user.ts';
import type { RotationStrategy } from './strategy.ts';

export type { RotationStrategy } from './strategy.ts';
export { alternateUser } from './alternating-users.ts';

const BY_NAME: Record<Strategy, RotationStrategy> = { 'single-user': singleUser, 'alternating-users': alternatingUsers, 'dual-password': dualPassword };

/**
 * The strategy for a secret: the one requested (onboarding), else the secret's
 * `rcp:rotation-strategy` tag, else alternating users when it names an admin credential, else
 * single user. Refused when the service type does not support it or the secret lacks what it needs.
 */
export function chooseStrategy(tags: Array<{ Key?: string; Value?: string }> | undefined, parsed: ParsedSecret, requested?: Strategy): RotationStrategy {
  const tagged = requested ?? tags?.find((t) => t.Key === TAGS.strategy)?.Value;
  if (tagged !== undefined && !(STRATEGIES as readonly string[]).includes(tagged)) {
    throw new RotationError('UnsupportedStrategy', `tag ${TAGS.strategy} names no strategy; use one of ${STRATEGIES.join(', ')}`);
  }
  const name = (tagged as Strategy | undefined) ?? (parsed.credential.masterarn ? 'alternating-users' : 'single-user');
  if (!parsed.plugin.strategies.includes(name)) {
    throw new RotationError('UnsupportedStrategy', `${parsed.plugin.name} does not support the ${name} strategy (it supports ${parsed.plugin.strategies.join(', ')})`);
  }
  const strategy = BY_NAME[name];
  if (strategy.usesAdmin(parsed.credential) && !parsed.credential.masterarn) {
    throw new RotationError('InvalidSecret', `the ${name} strategy needs a "masterarn" key naming the secret of an admin credential`);
  }
  return strategy;
}

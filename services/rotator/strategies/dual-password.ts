import { RotationError } from '../../../shared/errors/rotation-error.ts';
import type { RotationStrategy } from './strategy.ts';

/**
 * One user with two live passwords (Redis ACL users): the previous password stays valid until the
 * next rotation, so clients holding it never see a failed login. Acts through the admin credential
 * when the secret names one, else the user (which then needs the right to change its own ACL).
 */
export const dualPassword: RotationStrategy = {
  name: 'dual-password',
  pendingUsername: (current) => current.username,
  pendingFits: (current, pending) => pending.username === current.username,
  previousFits: (current, previous) => previous.username === current.username,
  usesAdmin: (current) => current.masterarn !== undefined,
  async apply({ plugin, current, pending, working, admin }) {
    const actor = admin ?? working;
    if (!actor.setUserPasswords) throw new RotationError('UnsupportedStrategy', `${plugin.name} cannot keep two passwords`);
    await actor.setUserPasswords(pending.username, [current.password, pending.password]);
  },
};

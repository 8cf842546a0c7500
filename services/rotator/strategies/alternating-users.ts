import { RotationError } from '../../../shared/errors/rotation-error.ts';
import type { RotationStrategy } from './strategy.ts';

const CLONE_SUFFIX = '_clone';

/** `<user>` and `<user>_clone` take turns: each rotation changes the one not in use. */
export const alternateUser = (username: string) =>
  username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : `${username}${CLONE_SUFFIX}`;

/**
 * Two users take turns, created and kept in step by the admin credential: the previous user keeps
 * working while applications move to the new one, so no login ever fails.
 */
export const alternatingUsers: RotationStrategy = {
  name: 'alternating-users',
  pendingUsername: (current) => alternateUser(current.username),
  pendingFits: (current, pending) => pending.username === alternateUser(current.username),
  previousFits: (current, previous) => previous.username === current.username || previous.username === alternateUser(current.username),
  usesAdmin: () => true,
  async apply({ plugin, pending, admin }) {
    if (!admin) throw new RotationError('InvalidSecret', 'the alternating-users strategy needs a "masterarn" key naming the secret of an admin credential');
    const base = pending.username.endsWith(CLONE_SUFFIX) ? alternateUser(pending.username) : pending.username;
    if (pending.username === base) {
      if (!admin.setUserPassword) throw new RotationError('UnsupportedStrategy', `${plugin.name} cannot set another user's password`);
      await admin.setUserPassword(base, pending.password);
    } else {
      if (!admin.cloneUser) throw new RotationError('UnsupportedStrategy', `${plugin.name} cannot clone users`);
      await admin.cloneUser(base, pending.username, pending.password);
    }
  },
};

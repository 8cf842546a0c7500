import { RotationError } from '../../../shared/errors/rotation-error.ts';
import type { RotationStrategy } from './strategy.ts';

/** The user changes its own password: simplest, but between setSecret and finishSecret the service has the new password and AWSCURRENT the old one. */
export const singleUser: RotationStrategy = {
  name: 'single-user',
  pendingUsername: (current) => current.username,
  pendingFits: (current, pending) => pending.username === current.username,
  previousFits: (current, previous) => previous.username === current.username,
  usesAdmin: () => false,
  async apply({ working, current, pending }) {
    if (pending.username !== current.username) throw new RotationError('GuardRefused', 'the working credential is for another user');
    await working.changeOwnPassword(pending.password);
  },
};

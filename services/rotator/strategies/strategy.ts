import type { Credential, ServicePlugin, Session, Strategy } from '../types.ts';

/** The change one rotation makes on the service, with the sessions the guards opened. */
export interface Change {
  plugin: ServicePlugin;
  current: Credential;
  pending: Credential;
  /** The credential that proved it logs in (current, or previous). */
  working: Session;
  /** The admin credential's session, when the strategy acts through `masterarn`. */
  admin?: Session;
}

/**
 * A rotation strategy: which user a new version is for, which versions count as the same account
 * (the guards ask), and how the new credential is made valid on the service.
 */
export interface RotationStrategy {
  readonly name: Strategy;
  /** The user the pending version is for, given the current one. */
  pendingUsername(current: Credential): string;
  /** The pending version may be for this user (confused-deputy guard). */
  pendingFits(current: Credential, pending: Credential): boolean;
  /** The previous version, used when the current one no longer logs in, may be for this user. */
  previousFits(current: Credential, previous: Credential): boolean;
  /** The change is made through the admin credential named by `masterarn`. */
  usesAdmin(current: Credential): boolean;
  apply(change: Change): Promise<void>;
}

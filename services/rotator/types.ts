import type { ZodMiniType } from 'zod/mini';
import { ROTATION_STEPS, type RotationStep } from '../../shared/rotation/outcome.ts';

export const STEPS = ROTATION_STEPS;
export type Step = RotationStep;

export { STRATEGIES, TRANSPORTS, type Strategy, type Transport } from '../../shared/rotation/vocabulary.ts';
import type { Strategy, Transport } from '../../shared/rotation/vocabulary.ts';

/** A secret's value once a plugin has checked it and filled its defaults. Keys follow AWS's templates. */
export interface Credential {
  engine: string;
  host: string;
  port: number;
  username: string;
  password: string;
  ssl?: boolean;
  masterarn?: string;
  [key: string]: unknown;
}

export interface ConnectOptions {
  /** A hung host fails after this long, not at the Lambda's timeout. */
  timeoutMs: number;
}

/**
 * A logged-in connection to a service. `check` runs a trivial read. The other operations are what
 * the strategies need; a plugin implements those its strategies use.
 */
export interface Session {
  readonly transport: Transport;
  check(): Promise<void>;
  close(): Promise<void>;
  /** single-user: the logged-in user sets its own new password. */
  changeOwnPassword(newPassword: string): Promise<void>;
  /** alternating-users (admin): makes `target` a login with the same privileges as `source`, with this password. */
  cloneUser?(source: string, target: string, password: string): Promise<void>;
  /** alternating-users (admin), rotating back to the original user: set its password. */
  setUserPassword?(username: string, password: string): Promise<void>;
  /** dual-password: exactly these passwords are valid for the user afterwards. */
  setUserPasswords?(username: string, passwords: string[]): Promise<void>;
}

export interface PasswordPolicy {
  length: number;
  /** Characters that would break a connection string, a URL or a statement for this service. */
  excludeCharacters: string;
}

export interface ServicePlugin {
  name: string;
  /** The `engine` values this plugin serves (AWS templates' names included). */
  engines: readonly string[];
  /** Required keys, types and defaults (e.g. the port) of a secret for this service. */
  schema: ZodMiniType<Credential>;
  passwordPolicy: PasswordPolicy;
  strategies: readonly Strategy[];
  connect(credential: Credential, options: ConnectOptions): Promise<Session>;
}

import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import type { RotationOutcome } from '../../shared/rotation/outcome.ts';
import type { SecretStore } from './secret-store.ts';
import type { ServicePlugin, Step, Strategy, Transport } from './types.ts';

export interface RotatorLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** What one step's outcome adds to the rotator's metrics (no values: names and times). */
export interface StepMeasure {
  step: Step | 'preflight';
  outcome: 'succeeded' | 'failed';
  engine?: string;
  strategy?: Strategy;
  errorClass?: string;
  durationMs: number;
}

/** Everything the fleet rotator works with; its composition root builds it from settings. */
export interface RotatorDeps {
  /** The Secrets Manager of the account and region a secret lives in (through that account's rotation role). */
  storeFor(secretId: string): SecretStore;
  audit: AuditSink;
  log: RotatorLog;
  pluginFor(engine: string): ServicePlugin | undefined;
  connectTimeoutMs: number;
  actor: string;
  /** The rotator's own account and region: where a secret given by name lives. */
  account: string;
  region: string;
  /** Where each rotation's outcome is kept for the control plane. */
  status?: { record(secretArn: string, outcome: RotationOutcome): Promise<void> };
  measure?(measure: StepMeasure): void;
  now(): number;
}

/** What one step knows about the secret once it has looked (DescribeSecret), and what it learns on the way. */
export interface StepContext {
  arn: string;
  token: string;
  /** Secrets Manager's proof, on a cross-account rotation, that a write belongs to this rotation. */
  rotationToken?: string;
  store: SecretStore;
  /** When the step must be done by (epoch ms): the invocation's deadline, less a margin to report. */
  deadline: number;
  tags: Array<{ Key?: string; Value?: string }>;
  currentVersionId?: string;
  previousVersionId?: string;
  strategy?: Strategy;
  engine?: string;
  username?: string;
  transport?: Transport;
}

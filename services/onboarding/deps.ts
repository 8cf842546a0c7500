import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Home } from '../../shared/accounts.ts';
import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import type { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import type { OnboardingRecords } from './records.ts';
import type { FirstRotationWaits } from './waits.ts';

/** What the onboarding steps work with; the composition root builds it from the function's environment. */
export interface OnboardingDeps {
  /** Secrets Manager where the secret lives: the central account's, or a member's through its onboarding role. */
  smFor(secretId: string): SecretsManagerClient;
  /** The central account's Lambda (the rotators and their resource policies live there). */
  lambda: LambdaClient;
  records: OnboardingRecords;
  rotationStatus: Pick<RotationStatusStore, 'get' | 'outcomeOf'>;
  audit: AuditSink;
  /** The control plane's own account and region. */
  home: Home;
  /** The fleet rotator outside any VPC. */
  rotatorArn: string;
  /** Rotator placements per VPC (`ROTATOR_PLACEMENTS`): the function that runs inside it. */
  placements: Record<string, string>;
  /** Step Functions, to resume (or fail) a workflow waiting for its first rotation. */
  sfn: SFNClient;
  waits: FirstRotationWaits;
  log: { warn(message: string, fields: Record<string, unknown>): void; error(message: string, fields: Record<string, unknown>): void };
  now(): number;
}

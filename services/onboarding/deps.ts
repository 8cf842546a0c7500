import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import type { OnboardingRecords } from './records.ts';
import type { RotationStatusStore } from '../../shared/rotation-status/rotation-status-store.ts';

/** What the onboarding steps work with; the Lambda entry points build it from the environment. */
export interface OnboardingDeps {
  sm: SecretsManagerClient;
  lambda: LambdaClient;
  records: OnboardingRecords;
  rotationStatus: Pick<RotationStatusStore, 'get'>;
  audit: AuditSink;
  account: string;
  region: string;
  /** The fleet rotator outside any VPC. */
  rotatorArn: string;
  /** Rotator placements per VPC (`ROTATOR_PLACEMENTS`): the function that runs inside it. */
  placements: Record<string, string>;
  /** How many times CheckFirstRotation looks before the first rotation counts as failed. */
  firstRotationMaxChecks: number;
  now(): number;
}

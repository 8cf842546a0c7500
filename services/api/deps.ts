import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Home } from '../../shared/accounts.ts';
import type { AuditSink } from '../../shared/audit/audit-publisher.ts';
import type { AuditTrail } from '../../shared/audit/audit-trail.ts';
import type { RotationStatusStore } from '../../shared/rotation/status-store.ts';
import type { OnboardingRecords } from '../onboarding/records.ts';
import type { OnboardingState } from '../onboarding/state.ts';
import type { EvaluatorDeps } from '../compliance/evaluator.ts';

/** Runs onboarding workflows: Step Functions, on AWS and in the local cloud alike. */
export interface WorkflowPort {
  start(state: OnboardingState): Promise<{ executionArn: string }>;
  /** Whether the execution is still running (false once it ended, or when it is unknown). */
  isRunning(executionArn: string): Promise<boolean>;
  /** Fails the callback task of an onboarding waiting for this rotation, as cancelled. */
  cancelWait(secretArn: string, versionId: string, actor: string): Promise<void>;
}

export interface ApiDeps {
  /** Secrets Manager where a secret lives: the central account's, or a member's through its onboarding role. */
  smFor(secretId: string): SecretsManagerClient;
  records: OnboardingRecords;
  rotationStatus: Pick<RotationStatusStore, 'get' | 'outcomeOf'>;
  audit: AuditSink;
  /** Each secret's audit events, as the audit trail recorder keeps them. */
  auditTrail: Pick<AuditTrail, 'page'>;
  workflow: WorkflowPort;
  home: Home;
  /** The accounts and regions the control plane serves (the home account and its members). */
  scopes(): Home[];
  /** Secrets Manager of one account and region through its inventory role (list and describe only). */
  inventoryFor(scope: Home): SecretsManagerClient;
  /** The product's rotators (the fleet rotator and its VPC placements): rotation by any other function is someone else's. */
  ourRotators: ReadonlySet<string>;
  /** Compliance results and the evaluator (the API evaluates one secret not seen yet). */
  compliance: EvaluatorDeps;
  /** Starts a full evaluation in the background (the compliance function, invoked asynchronously). */
  startEvaluation(input: { evaluationId: string; actor: string }): Promise<void>;
  now(): number;
  log(message: string, fields: Record<string, unknown>): void;
}

import { randomUUID } from 'node:crypto';
import { nextWindow, parseRotationRules, type Window } from '../../../../../shared/schedule/rotation-schedule.ts';
import type { ServiceContext } from '../../context.ts';
import type { EventBridgeService } from '../eventbridge/operations.ts';
import type { LambdaFunctions } from '../lambda/functions.ts';
import {
  AWSCURRENT,
  AWSPENDING,
  findVersion,
  moveStage,
  removeStage,
  unfinishedPendingVersion,
  type RotationAttempt,
  type SecretRecord,
} from './model.ts';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';

/**
 * The service retries a failed rotation "multiple times" without documenting how often; these are
 * this emulation's choices: a few quick retries with doubling delays, then once per window.
 */
const QUICK_RETRIES = 5;
const FIRST_RETRY_DELAY_MS = 2 * 60_000;
const LATER_RETRY_DELAY_MS = 24 * 3_600_000;

export type RotationEventName = 'RotationStarted' | 'RotationSucceeded' | 'RotationFailed' | 'RotationAbandoned';

/**
 * Drives rotations as Secrets Manager does: invokes the rotation function for the four steps in
 * order, checks the outcome, retries failures later with the same token, starts scheduled
 * rotations inside their window, and reports each outcome as the CloudTrail event AWS sends.
 */
export class RotationEngine {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly lambda: LambdaFunctions,
    private readonly events: EventBridgeService,
  ) {}

  canInvoke(lambdaArn: string, secret: SecretRecord): boolean {
    return this.lambda.canServiceInvoke(lambdaArn, { principal: SECRETS_MANAGER_PRINCIPAL, sourceAccount: this.ctx.account, sourceArn: secret.arn });
  }

  /** Marks a new rotation as started: a pending version with no value yet, owned by `token`. */
  begin(secret: SecretRecord, token: string = randomUUID()): RotationAttempt {
    const version = { id: token, created: this.ctx.clock.now(), stages: [] as string[] };
    secret.versions.push(version);
    moveStage(secret, AWSPENDING, version);
    return this.adopt(secret, token);
  }

  /** A rotation (or a configuration test) of this secret is running right now. */
  isBusy(secretArn: string): boolean {
    return this.running.has(secretArn);
  }

  /**
   * Forgets a rotation whose version no longer carries AWSPENDING (a user removed the label, the
   * documented fix for a stuck rotation, or a new value superseded it), so scheduling resumes.
   */
  reconcile(secret: SecretRecord): void {
    const attempt = secret.rotation.inProgress;
    if (attempt && !this.running.has(secret.arn) && !findVersion(secret, attempt.token)?.stages.includes(AWSPENDING)) {
      secret.rotation.inProgress = undefined;
    }
  }

  private adopt(secret: SecretRecord, token: string): RotationAttempt {
    const now = this.ctx.clock.now();
    const attempt: RotationAttempt = { token, startedAt: now, attempts: 0, nextAttemptAt: now };
    secret.rotation.inProgress = attempt;
    return attempt;
  }

  /** Runs the next attempt of the secret's rotation in the background (once at a time per secret). */
  kick(secretArn: string): Promise<void> {
    const existing = this.running.get(secretArn);
    if (existing) return existing;
    const run = this.attempt(secretArn)
      .catch((err: unknown) => console.error(`[local-cloud] rotation of ${secretArn} crashed: ${(err as Error).message}`))
      .finally(() => this.running.delete(secretArn));
    this.running.set(secretArn, run);
    return run;
  }

  /** Resolves when no rotation is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private secretByArn(arn: string): SecretRecord | undefined {
    return this.ctx.state.secrets.find((s) => s.arn === arn);
  }

  /** The rotation this attempt belongs to is still wanted: not cancelled, deleted or replaced. */
  private stillCurrent(arn: string, token: string): SecretRecord | undefined {
    const secret = this.secretByArn(arn);
    if (!secret || secret.deletedDate !== undefined || !secret.rotation.enabled) return undefined;
    return secret.rotation.inProgress?.token === token ? secret : undefined;
  }

  private async attempt(secretArn: string): Promise<void> {
    const secret = this.secretByArn(secretArn);
    const attempt = secret?.rotation.inProgress;
    const lambdaArn = secret?.rotation.lambdaArn;
    if (!secret || !attempt || !lambdaArn) return;
    const token = attempt.token;
    const stages = findVersion(secret, token)?.stages ?? [];
    if (!stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT)) {
      // Its pending version was taken away: nothing left to retry.
      secret.rotation.inProgress = undefined;
      await this.ctx.save();
      return;
    }
    attempt.attempts += 1;
    await this.ctx.save();
    await this.emit('RotationStarted', secret.arn, token);

    for (const step of ROTATION_STEPS) {
      if (!this.stillCurrent(secretArn, token)) return;
      if (!this.canInvoke(lambdaArn, secret)) {
        return this.fail(secretArn, token, step, 'AccessDeniedException', 'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.');
      }
      let result;
      try {
        result = await this.lambda.invoke(lambdaArn, { Step: step, SecretId: secret.arn, ClientRequestToken: token });
      } catch (err) {
        return this.fail(secretArn, token, step, (err as Error).name, (err as Error).message);
      }
      if (result.functionError) {
        const { errorType, errorMessage } = result.payload as { errorType?: string; errorMessage?: string };
        return this.fail(secretArn, token, step, errorType ?? 'Error', errorMessage ?? 'the function failed');
      }
    }

    const finished = this.stillCurrent(secretArn, token);
    if (!finished) return;
    const version = findVersion(finished, token);
    if (!version?.stages.includes(AWSCURRENT)) {
      return this.fail(secretArn, token, 'finishSecret', 'RotationIncomplete', 'finishSecret returned without moving AWSCURRENT to the new version.');
    }
    // The service, not the function, takes AWSPENDING off the finished version.
    removeStage(version, AWSPENDING);
    const now = this.ctx.clock.now();
    finished.lastRotated = now;
    finished.lastChanged = now;
    finished.rotation.inProgress = undefined;
    finished.rotation.lastFailure = undefined;
    await this.ctx.save();
    await this.emit('RotationSucceeded', finished.arn, token);
  }

  private async fail(secretArn: string, token: string, step: string, errorType: string, message: string): Promise<void> {
    const secret = this.stillCurrent(secretArn, token);
    if (!secret) return;
    const attempt = secret.rotation.inProgress!;
    const now = this.ctx.clock.now();
    attempt.lastError = { step, errorType, message, at: now };
    attempt.nextAttemptAt =
      attempt.attempts < QUICK_RETRIES ? now + FIRST_RETRY_DELAY_MS * 2 ** (attempt.attempts - 1) : (this.window(secret, now)?.start ?? now + LATER_RETRY_DELAY_MS);
    if (attempt.nextAttemptAt <= now) attempt.nextAttemptAt = now + LATER_RETRY_DELAY_MS;
    secret.rotation.lastFailure = { ...attempt };
    await this.ctx.save();
    // As in AWS, the event names the step and function only; the cause is in the function's own logs.
    await this.emit('RotationFailed', secret.arn, token, `Error when executing lambda ${secret.rotation.lambdaArn} during ${step} step`);
  }

  /** The window the secret's next scheduled rotation falls in, if it has a schedule. */
  window(secret: SecretRecord, now = this.ctx.clock.now()): Window | undefined {
    const { rules, configuredAt } = secret.rotation;
    if (!rules) return undefined;
    const schedule = parseRotationRules(rules);
    // Day schedules count from the last rotation or value change (a manual update counts as a
    // rotation); others from the last rotation or from when the schedule was set.
    const since =
      schedule.cadence.kind === 'days'
        ? Math.max(secret.lastRotated ?? 0, secret.lastValueChange ?? secret.created)
        : Math.max(secret.lastRotated ?? 0, configuredAt ?? secret.created);
    return nextWindow(schedule, since, now);
  }

  /**
   * One pass of the service's scheduler: purges secrets whose recovery window has ended, retries
   * failed rotations that are due, and starts rotations whose window has opened. Returns the
   * ARNs of the secrets it started or retried.
   */
  async tick(): Promise<string[]> {
    const now = this.ctx.clock.now();
    const started: string[] = [];
    const before = this.ctx.state.secrets.length;
    this.ctx.state.secrets = this.ctx.state.secrets.filter((s) => s.deletionDate === undefined || s.deletionDate > now);
    let changed = this.ctx.state.secrets.length !== before;

    for (const secret of this.ctx.state.secrets) {
      const rotation = secret.rotation;
      if (secret.deletedDate !== undefined || !rotation.enabled || !rotation.lambdaArn || this.running.has(secret.arn)) continue;
      try {
        if (rotation.inProgress) {
          if (now >= rotation.inProgress.nextAttemptAt) started.push(secret.arn);
          continue;
        }
        const window = this.window(secret, now);
        if (!window || now < window.start) continue;
        // A pending version left behind (a cancelled or crashed rotation) is reattempted, not replaced.
        const leftover = unfinishedPendingVersion(secret);
        if (leftover) this.adopt(secret, leftover.id);
        else this.begin(secret);
        changed = true;
        started.push(secret.arn);
      } catch (err) {
        // One secret's bad state must not stop the others' rotations.
        console.error(`[local-cloud] scheduler skipped ${secret.arn}: ${(err as Error).message}`);
      }
    }
    if (changed) await this.ctx.save();
    for (const arn of started) void this.kick(arn);
    return started;
  }

  /**
   * RotateSecret with RotateImmediately=false: "Secrets Manager tests the rotation configuration by
   * running the testSecret step ... creates an AWSPENDING version of the secret and then removes it."
   * Returns the failure, if any; the caller decides what to report.
   */
  testConfiguration(secret: SecretRecord, lambdaArn: string): Promise<string | undefined> {
    // Registered as running, so the scheduler can neither adopt the probe nor start a rotation meanwhile.
    const test = this.runConfigurationTest(secret, lambdaArn).finally(() => this.running.delete(secret.arn));
    this.running.set(
      secret.arn,
      test.then(() => undefined, () => undefined),
    );
    return test;
  }

  private async runConfigurationTest(secret: SecretRecord, lambdaArn: string): Promise<string | undefined> {
    const current = secret.versions.find((v) => v.stages.includes(AWSCURRENT));
    if (!current) return undefined;
    const token = randomUUID();
    const probe = { id: token, created: this.ctx.clock.now(), stages: [] as string[], secretString: current.secretString, secretBinary: current.secretBinary };
    secret.versions.push(probe);
    moveStage(secret, AWSPENDING, probe);
    await this.ctx.save();
    try {
      const result = await this.lambda.invoke(lambdaArn, { Step: 'testSecret', SecretId: secret.arn, ClientRequestToken: token });
      if (!result.functionError) return undefined;
      const { errorType, errorMessage } = result.payload as { errorType?: string; errorMessage?: string };
      secret.rotation.lastFailure = {
        token,
        startedAt: probe.created,
        attempts: 1,
        nextAttemptAt: probe.created,
        lastError: { step: 'testSecret', errorType: errorType ?? 'Error', message: errorMessage ?? 'the function failed', at: this.ctx.clock.now() },
      };
      await this.emit('RotationFailed', secret.arn, token, `Error when executing lambda ${lambdaArn} during testSecret step`);
      return errorMessage;
    } finally {
      removeStage(probe, AWSPENDING);
      await this.ctx.save();
    }
  }

  /** Publishes a rotation outcome to the default bus in the shape CloudTrail service events have. */
  emit(eventName: RotationEventName, secretArn: string, token: string, errorMessage?: string): Promise<unknown> {
    const time = new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const detail = {
      eventVersion: '1.08',
      userIdentity: { accountId: this.ctx.account, invokedBy: SECRETS_MANAGER_PRINCIPAL },
      eventTime: time,
      eventSource: SECRETS_MANAGER_PRINCIPAL,
      eventName,
      awsRegion: this.ctx.region,
      sourceIPAddress: SECRETS_MANAGER_PRINCIPAL,
      userAgent: SECRETS_MANAGER_PRINCIPAL,
      ...(errorMessage ? { errorMessage } : {}),
      requestParameters: null,
      responseElements: null,
      additionalEventData: { SecretId: secretArn },
      requestID: `Rotation-${secretArn}-${token}`,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: this.ctx.account,
      eventCategory: 'Management',
    };
    return this.events.putEvents([
      { Source: 'aws.secretsmanager', DetailType: 'AWS Service Event via CloudTrail', Detail: JSON.stringify(detail), EventBusName: 'default' },
    ]);
  }
}

import { randomUUID } from 'node:crypto';
import { serviceCaller, type ServiceCaller } from '../../auth/principals.ts';
import type { Clock } from '../../clock.ts';
import type { SecretsManagerBackend } from './backend.ts';
import { AWSCURRENT, AWSPENDING, findVersion, moveStage, removeStage, unfinishedPendingVersion, type RotationAttempt, type SecretRecord } from './model.ts';
import { nextWindow, storedSchedule, type Window } from './schedule.ts';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';

/**
 * The service retries a failed rotation "multiple times" without documenting how often; these are
 * this emulation's choices: a few quick retries with doubling delays, then once per window.
 */
const QUICK_RETRIES = 5;
const FIRST_RETRY_DELAY_MS = 2 * 60_000;
const LATER_RETRY_DELAY_MS = 24 * 3_600_000;
const CANNOT_INVOKE = 'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.';

export type RotationEventName = 'RotationStarted' | 'RotationSucceeded' | 'RotationFailed' | 'RotationAbandoned';

export interface InvokeOutcome {
  payload: unknown;
  functionError?: string;
}

/** What the engine needs from the cloud around it. */
export interface RotationDeps {
  clock: Clock;
  /** Every account-region's Secrets Manager state. */
  backends(): Iterable<SecretsManagerBackend>;
  /** The state holding a secret, from its ARN. */
  backendOf(secretArn: string): SecretsManagerBackend | undefined;
  /** Lambda, as Secrets Manager calls it: its resource policy decides (with the secret's account as aws:SourceAccount). */
  functions: {
    canInvoke(functionArn: string, caller: ServiceCaller): Promise<boolean>;
    invoke(functionArn: string, event: unknown, caller: ServiceCaller): Promise<InvokeOutcome>;
  };
  /** Puts service events on the default bus of an account-region. */
  putEvents(account: string, region: string, entries: Array<{ Source: string; DetailType: string; Detail: string }>): Promise<unknown>;
}

const accountOf = (arn: string) => arn.split(':')[4]!;
const regionOf = (arn: string) => arn.split(':')[3]!;

/**
 * Drives rotations as Secrets Manager does, for every account and region: invokes the rotation
 * function (wherever it lives) for the four steps in order, checks the outcome, retries failures
 * later with the same token, resumes an attempt a crash interrupted, starts scheduled rotations
 * inside their window, and reports each outcome as the CloudTrail event AWS sends.
 */
export class RotationEngine {
  private readonly running = new Map<string, Promise<void>>();
  private readonly windows = new WeakMap<SecretRecord, { key: string; window: Window | undefined }>();

  constructor(private readonly deps: RotationDeps) {}

  private get now(): number {
    return this.deps.clock.now();
  }

  private invoker(secret: SecretRecord): ServiceCaller {
    return serviceCaller(SECRETS_MANAGER_PRINCIPAL, accountOf(secret.arn), secret.arn);
  }

  canInvoke(lambdaArn: string, secret: SecretRecord): Promise<boolean> {
    return this.deps.functions.canInvoke(lambdaArn, this.invoker(secret));
  }

  /** Marks a new rotation as started: a pending version with no value yet, owned by `token`. */
  begin(backend: SecretsManagerBackend, secret: SecretRecord, token: string = randomUUID()): RotationAttempt {
    const version = { id: token, created: this.now, stages: [] as string[] };
    secret.versions.push(version);
    moveStage(secret, AWSPENDING, version);
    const attempt = this.adopt(secret, token);
    backend.secrets.changed(secret);
    return attempt;
  }

  private adopt(secret: SecretRecord, token: string): RotationAttempt {
    const now = this.now;
    const attempt: RotationAttempt = { token, startedAt: now, attempts: 0, nextAttemptAt: now };
    secret.rotation.inProgress = attempt;
    return attempt;
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

  /**
   * After a start: an attempt still marked running was cut off by a crash. As when a function
   * times out, it has failed, and is retried at once with the same token.
   */
  async resumeInterrupted(): Promise<string[]> {
    const resumed: string[] = [];
    for (const backend of this.deps.backends()) {
      let changed = false;
      for (const secret of backend.secrets.all()) {
        const attempt = secret.rotation.inProgress;
        if (!attempt?.running) continue;
        const step = attempt.running.step;
        attempt.lastError = { step, errorType: 'Interrupted', message: `The rotation was interrupted during ${step}: the local cloud stopped.`, at: this.now };
        attempt.running = undefined;
        attempt.nextAttemptAt = this.now;
        secret.rotation.lastFailure = { ...attempt };
        backend.secrets.changed(secret);
        changed = true;
        resumed.push(secret.arn);
        await this.emit(secret.arn, 'RotationFailed', attempt.token, `Error when executing lambda ${secret.rotation.lambdaArn} during ${step} step`);
      }
      if (changed) await backend.commit();
    }
    for (const arn of resumed) void this.kick(arn);
    return resumed;
  }

  /** The rotation this attempt belongs to is still wanted: not cancelled, deleted or replaced. */
  private stillCurrent(arn: string, token: string): { backend: SecretsManagerBackend; secret: SecretRecord } | undefined {
    const backend = this.deps.backendOf(arn);
    const secret = backend?.find(arn);
    if (!backend || !secret || secret.deletedDate !== undefined || !secret.rotation.enabled) return undefined;
    return secret.rotation.inProgress?.token === token ? { backend, secret } : undefined;
  }

  private async attempt(secretArn: string): Promise<void> {
    const backend = this.deps.backendOf(secretArn);
    const secret = backend?.find(secretArn);
    const attempt = secret?.rotation.inProgress;
    const lambdaArn = secret?.rotation.lambdaArn;
    if (!backend || !secret || !attempt || !lambdaArn) return;
    const token = attempt.token;
    const stages = findVersion(secret, token)?.stages ?? [];
    if (!stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT)) {
      // Its pending version was taken away: nothing left to retry.
      secret.rotation.inProgress = undefined;
      backend.secrets.changed(secret);
      await backend.commit();
      return;
    }
    attempt.attempts += 1;
    attempt.rotationToken = randomUUID();
    attempt.running = { since: this.now, step: ROTATION_STEPS[0] };
    backend.secrets.changed(secret);
    // Durable before the first step: a crash from here on is seen at the next start.
    await backend.commit();
    await this.emit(secret.arn, 'RotationStarted', token);

    for (const step of ROTATION_STEPS) {
      const current = this.stillCurrent(secretArn, token);
      if (!current) return;
      if (!(await this.canInvoke(lambdaArn, secret))) return this.fail(secretArn, token, step, 'AccessDeniedException', CANNOT_INVOKE);
      if (attempt.running) attempt.running.step = step;
      current.backend.secrets.changed(current.secret);
      let result: InvokeOutcome;
      try {
        result = await this.deps.functions.invoke(
          lambdaArn,
          { Step: step, SecretId: secret.arn, ClientRequestToken: token, RotationToken: attempt.rotationToken },
          this.invoker(secret),
        );
      } catch (err) {
        return this.fail(secretArn, token, step, (err as Error).name, (err as Error).message);
      }
      if (result.functionError) {
        const { errorType, errorMessage } = (result.payload ?? {}) as { errorType?: string; errorMessage?: string };
        return this.fail(secretArn, token, step, errorType ?? 'Error', errorMessage ?? 'the function failed');
      }
    }

    const finished = this.stillCurrent(secretArn, token);
    if (!finished) return;
    const version = findVersion(finished.secret, token);
    if (!version?.stages.includes(AWSCURRENT)) {
      return this.fail(secretArn, token, 'finishSecret', 'RotationIncomplete', 'finishSecret returned without moving AWSCURRENT to the new version.');
    }
    // The service, not the function, takes AWSPENDING off the finished version.
    removeStage(version, AWSPENDING);
    const now = this.now;
    finished.secret.lastRotated = now;
    finished.secret.lastChanged = now;
    finished.secret.rotation.inProgress = undefined;
    finished.secret.rotation.lastFailure = undefined;
    finished.backend.secrets.changed(finished.secret);
    await finished.backend.commit();
    await this.emit(secretArn, 'RotationSucceeded', token);
  }

  private async fail(secretArn: string, token: string, step: string, errorType: string, message: string): Promise<void> {
    const current = this.stillCurrent(secretArn, token);
    if (!current) return;
    const { backend, secret } = current;
    const attempt = secret.rotation.inProgress!;
    const now = this.now;
    attempt.running = undefined;
    attempt.lastError = { step, errorType, message, at: now };
    attempt.nextAttemptAt =
      attempt.attempts < QUICK_RETRIES ? now + FIRST_RETRY_DELAY_MS * 2 ** (attempt.attempts - 1) : (this.window(secret, now)?.start ?? now + LATER_RETRY_DELAY_MS);
    if (attempt.nextAttemptAt <= now) attempt.nextAttemptAt = now + LATER_RETRY_DELAY_MS;
    secret.rotation.lastFailure = { ...attempt };
    backend.secrets.changed(secret);
    await backend.commit();
    // As in AWS, the event names the step and function only; the cause is in the function's own logs.
    await this.emit(secretArn, 'RotationFailed', token, `Error when executing lambda ${secret.rotation.lambdaArn} during ${step} step`);
  }

  /** The window the secret's next scheduled rotation falls in, if it has a schedule. */
  window(secret: SecretRecord, now = this.now): Window | undefined {
    const { rules, configuredAt } = secret.rotation;
    if (!rules) return undefined;
    const schedule = storedSchedule(rules);
    // Day schedules count from the last rotation or value change (a manual update counts as a
    // rotation); others from the last rotation or from when the schedule was set.
    const since =
      schedule.cadence.kind === 'days'
        ? Math.max(secret.lastRotated ?? 0, secret.lastValueChange ?? secret.created)
        : Math.max(secret.lastRotated ?? 0, configuredAt ?? secret.created);
    const key = `${rules.AutomaticallyAfterDays}|${rules.ScheduleExpression}|${rules.Duration}|${since}`;
    const cached = this.windows.get(secret);
    if (cached && cached.key === key && (cached.window === undefined || cached.window.end > now)) return cached.window;
    const window = nextWindow(schedule, since, now);
    this.windows.set(secret, { key, window });
    return window;
  }

  /**
   * One pass of the service's scheduler over every account and region: purges secrets whose
   * recovery window has ended, retries failed rotations that are due, and starts rotations whose
   * window has opened. Returns the ARNs of the secrets it started or retried.
   */
  async tick(): Promise<string[]> {
    const now = this.now;
    const started: string[] = [];
    for (const backend of this.deps.backends()) {
      backend.purgeExpired(now);
      for (const secret of backend.secrets.all()) {
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
          if (leftover) {
            this.adopt(secret, leftover.id);
            backend.secrets.changed(secret);
          } else {
            this.begin(backend, secret);
          }
          started.push(secret.arn);
        } catch (err) {
          // One secret's bad state must not stop the others' rotations.
          console.error(`[local-cloud] scheduler skipped ${secret.arn}: ${(err as Error).message}`);
        }
      }
      await backend.commit();
    }
    for (const arn of started) void this.kick(arn);
    return started;
  }

  /**
   * RotateSecret with RotateImmediately=false: "Secrets Manager tests the rotation configuration by
   * running the testSecret step ... creates an AWSPENDING version of the secret and then removes it."
   * Returns the failure, if any; the caller decides what to report.
   */
  testConfiguration(backend: SecretsManagerBackend, secret: SecretRecord, lambdaArn: string): Promise<string | undefined> {
    // Registered as running, so the scheduler can neither adopt the probe nor start a rotation meanwhile.
    const test = this.runConfigurationTest(backend, secret, lambdaArn).finally(() => this.running.delete(secret.arn));
    this.running.set(
      secret.arn,
      test.then(
        () => undefined,
        () => undefined,
      ),
    );
    return test;
  }

  private async runConfigurationTest(backend: SecretsManagerBackend, secret: SecretRecord, lambdaArn: string): Promise<string | undefined> {
    const current = secret.versions.find((v) => v.stages.includes(AWSCURRENT));
    if (!current) return undefined;
    const token = randomUUID();
    const probe = { id: token, created: this.now, stages: [] as string[], secretString: current.secretString, secretBinary: current.secretBinary };
    secret.versions.push(probe);
    moveStage(secret, AWSPENDING, probe);
    backend.secrets.changed(secret);
    await backend.commit();
    try {
      const result = await this.deps.functions.invoke(lambdaArn, { Step: 'testSecret', SecretId: secret.arn, ClientRequestToken: token }, this.invoker(secret));
      if (!result.functionError) return undefined;
      const { errorType, errorMessage } = (result.payload ?? {}) as { errorType?: string; errorMessage?: string };
      secret.rotation.lastFailure = {
        token,
        startedAt: probe.created,
        attempts: 1,
        nextAttemptAt: probe.created,
        lastError: { step: 'testSecret', errorType: errorType ?? 'Error', message: errorMessage ?? 'the function failed', at: this.now },
      };
      await this.emit(secret.arn, 'RotationFailed', token, `Error when executing lambda ${lambdaArn} during testSecret step`);
      return errorMessage;
    } catch (err) {
      return (err as Error).message;
    } finally {
      removeStage(probe, AWSPENDING);
      backend.secrets.changed(secret);
      await backend.commit();
    }
  }

  /** Publishes a rotation outcome to the secret's default bus in the shape CloudTrail service events have. */
  emit(secretArn: string, eventName: RotationEventName, token: string, errorMessage?: string): Promise<unknown> {
    const account = accountOf(secretArn);
    const region = regionOf(secretArn);
    const time = new Date(this.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const detail = {
      eventVersion: '1.08',
      userIdentity: { accountId: account, invokedBy: SECRETS_MANAGER_PRINCIPAL },
      eventTime: time,
      eventSource: SECRETS_MANAGER_PRINCIPAL,
      eventName,
      awsRegion: region,
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
      recipientAccountId: account,
      eventCategory: 'Management',
    };
    return this.deps.putEvents(account, region, [{ Source: 'aws.secretsmanager', DetailType: 'AWS Service Event via CloudTrail', Detail: JSON.stringify(detail) }]);
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AwsError } from './errors.ts';

/**
 * Fault injection for reliability tests, off by default. Per operation ("secretsmanager:PutSecretValue",
 * "secretsmanager:*" or "*"): an error rate (optionally only the next N calls), added latency, and
 * throttling at AWS's real per-second quotas.
 */
export const faultRuleSchema = z.object({
  errorRate: z.number().min(0).max(1).optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  errorStatus: z.number().int().min(400).max(599).optional(),
  /** Inject the error only this many more times, then stop: makes "fails once, then works" tests exact. */
  times: z.number().int().min(1).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  throttle: z.boolean().optional(),
});
export const faultConfigSchema = z.record(z.string(), faultRuleSchema);
export type FaultConfig = z.infer<typeof faultConfigSchema>;

/**
 * Per-second quotas per account and region, shared by the operations listed together (Secrets
 * Manager's are not adjustable). Operations not listed are not throttled.
 */
const QUOTAS: Array<{ operations: string[]; perSecond: number }> = [
  { operations: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:UpdateSecretVersionStage'], perSecond: 50 },
  { operations: ['secretsmanager:RotateSecret', 'secretsmanager:CancelRotateSecret'], perSecond: 50 },
  { operations: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'], perSecond: 50 },
  {
    operations: ['secretsmanager:GetResourcePolicy', 'secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteResourcePolicy', 'secretsmanager:ValidateResourcePolicy'],
    perSecond: 50,
  },
  { operations: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], perSecond: 10_000 },
  { operations: ['secretsmanager:BatchGetSecretValue'], perSecond: 100 },
  { operations: ['secretsmanager:CreateSecret'], perSecond: 50 },
  { operations: ['secretsmanager:DeleteSecret'], perSecond: 50 },
  { operations: ['secretsmanager:RestoreSecret'], perSecond: 50 },
  { operations: ['secretsmanager:ListSecrets'], perSecond: 100 },
  { operations: ['secretsmanager:ListSecretVersionIds'], perSecond: 50 },
  { operations: ['secretsmanager:GetRandomPassword'], perSecond: 50 },
  { operations: ['events:PutEvents'], perSecond: 10_000 },
];

const THROTTLE_MESSAGES: Record<string, string> = {
  secretsmanager: 'Rate exceeded',
  events: 'Rate exceeded',
  lambda: 'Rate exceeded',
  dynamodb: 'Rate of requests exceeds the allowed throughput.',
};

export class FaultInjector {
  private config: FaultConfig = {};
  /**
   * Calls per account, region and quota group in the current wall-clock second: quotas are per
   * account and region, and real seconds, never sped up.
   */
  private readonly windows = new Map<string, { second: number; count: number }>();

  get(): FaultConfig {
    return this.config;
  }

  set(config: unknown): FaultConfig {
    this.config = faultConfigSchema.parse(config);
    this.windows.clear();
    return this.config;
  }

  private rulesFor(service: string, operation: string) {
    return [this.config[`${service}:${operation}`], this.config[`${service}:*`], this.config['*']].filter((r) => r !== undefined);
  }

  /** Applies the configured faults to one call of `account` in `region`: waits, throttles or throws as configured. */
  async before(service: string, operation: string, account: string, region: string): Promise<void> {
    const rules = this.rulesFor(service, operation);
    if (rules.length === 0) return;
    const latency = Math.max(0, ...rules.map((r) => r.latencyMs ?? 0));
    if (latency > 0) await sleep(latency);
    if (rules.some((r) => r.throttle)) this.throttle(service, operation, `${account}/${region}`);
    for (const rule of rules) {
      if (!rule.errorRate || Math.random() >= rule.errorRate) continue;
      if (rule.times !== undefined) {
        if (rule.times <= 0) continue;
        rule.times -= 1;
      }
      const status = rule.errorStatus ?? 500;
      const code = rule.errorCode ?? (service === 'secretsmanager' ? 'InternalServiceError' : 'ServiceException');
      throw new AwsError(code, rule.errorMessage ?? `Injected fault for ${service}:${operation}.`, status);
    }
  }

  private throttle(service: string, operation: string, partition: string): void {
    const index = QUOTAS.findIndex((q) => q.operations.includes(`${service}:${operation}`));
    if (index < 0) return;
    const second = Math.floor(Date.now() / 1000);
    const key = `${partition}/${index}`;
    const window = this.windows.get(key);
    if (!window || window.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return;
    }
    window.count += 1;
    if (window.count > QUOTAS[index]!.perSecond) {
      throw new AwsError('ThrottlingException', THROTTLE_MESSAGES[service] ?? 'Rate exceeded', 400);
    }
  }
}

/** How many calls each operation received: the bench counts Secrets Manager calls per rotation with it. */
export class CallCounter {
  private counts = new Map<string, number>();

  record(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts = new Map();
  }
}

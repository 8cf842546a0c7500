import { randomUUID } from 'node:crypto';
import type { Journal } from '../states/model.ts';
import type { Invoke } from '../states/task-resources.ts';
import type { EventRules, RuleRecord, TargetRecord } from './rules.ts';
import { targetKind } from './rule-shapes.ts';
import { nextFireAfter, parseScheduleExpression, type Schedule } from './schedule-expressions.ts';
import type { StoredEvent } from './event-store.ts';

/**
 * Delivery of events to rule targets, as EventBridge does it: after PutEvents accepted an event,
 * every ENABLED rule on that bus whose pattern matches sends it (transformed by the target's
 * Input, InputPath or InputTransformer) to each of its targets, asynchronously. Every delivery is
 * queued in the journal before PutEvents answers and stays there until it is delivered or given
 * up, so deliveries survive a crash and are retried after a restart. Scheduled rules fire on the
 * cloud's clock.
 *
 * Retries, compressed in time by `retryScale` but counted as AWS counts them:
 * - delivery failures (throttling, a service error) back off exponentially (1 s doubling, at most
 *   5 min) until the target's RetryPolicy is spent (default 185 attempts or 24 h); client errors
 *   (no such function or state machine, access denied) are not retried;
 * - a Lambda target is invoked asynchronously on AWS: a function error is retried twice by Lambda
 *   (after 1 and 2 minutes), then dropped.
 * Given-up deliveries are kept as dead letters (with the rule's DeadLetterConfig, if any).
 */

/** An event as targets receive it: the stored envelope without the bus it was put on. */
export type BusEvent = Omit<StoredEvent, 'event-bus-name'>;

export type DeliveryRecord =
  | { kind: 'queued'; id: string; ruleArn: string; ruleName: string; target: TargetRecord; event: BusEvent; queuedAt: number }
  | { kind: 'failed'; id: string; attempt: number; error: string; retryAt: number }
  | { kind: 'delivered'; id: string; at: number }
  | { kind: 'dead-lettered'; id: string; reason: string; at: number; deadLetterArn?: string }
  | { kind: 'fired'; ruleArn: string; at: number };

export interface EventDeliveryOptions {
  account: string;
  region: string;
  clock: { now(): number };
  journal: Journal<DeliveryRecord> & { rewrite?(records: DeliveryRecord[]): Promise<void> };
  rules: EventRules;
  /** Lambda's invoke for a function target; `source.ruleArn` is the rule sending the event (aws:SourceArn to the function's resource policy). */
  invoke(functionArn: string, payload: unknown, source: { ruleArn: string }): ReturnType<Invoke>;
  /**
   * Step Functions' StartExecution with the event as input (throws the AwsError it answers).
   * `name` is the delivery's id: a delivery tried again after a crash that cut it off between
   * starting the execution and recording it delivered finds that execution instead of starting a
   * second one.
   */
  startExecution(stateMachineArn: string, input: string, roleArn: string | undefined, name: string): Promise<void>;
  /**
   * Puts the event on another bus (perhaps in another account or region): the cloud checks that
   * bus's policy for `sender` and throws ResourceNotFoundException / AccessDeniedException.
   */
  putOnBus(busArn: string, event: BusEvent, sender: { account: string }): Promise<void>;
  /** Multiplies every retry delay: 1 is AWS's timing; the embedded default shortens it. */
  retryScale?: number;
  /** How many deliveries run at once. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface Delivery {
  id: string;
  ruleArn: string;
  ruleName: string;
  target: TargetRecord;
  event: BusEvent;
  queuedAt: number;
  attempts: number;
  nextAt: number;
  lastError?: string;
}

export interface DeadLetter {
  id: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  eventId: string;
  reason: string;
  at: number;
  deadLetterArn?: string;
}

const DEFAULT_MAX_ATTEMPTS = 185;
const DEFAULT_MAX_AGE_SECONDS = 86_400;
const LAMBDA_ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];
const NOT_RETRIED = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'StateMachineDoesNotExist', 'StateMachineDeleting', 'InvalidExecutionInput', 'ValidationException', 'InvalidArn']);

/** A failure that says whether EventBridge (or Lambda's async retries) tries again. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly retry: 'eventbridge' | 'lambda-async' | 'never',
    /** What a log line may say: an error code, never a message that could quote event data. */
    readonly code: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// What a target receives

/** A JSONPath in dot notation (`$.detail.instance-id`, `$.resources[0]`) on the event. */
export function readPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  let value: unknown = event;
  for (const part of path.replace(/^\$\.?/, '').split('.')) {
    const indexed = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (indexed[1]) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[indexed[1]] : undefined;
    for (const index of indexed[2]!.matchAll(/\[(\d+)\]/g)) value = Array.isArray(value) ? value[Number(index[1])] : undefined;
    if (value === undefined) return undefined;
  }
  return value;
}

/**
 * Fills an InputTransformer template. In a JSON template a placeholder inside a string takes the
 * value's text (escaped for that string), outside one the value as JSON; in a plain-text template
 * a string value goes in as it is. Besides the InputPathsMap
 * keys, `<aws.events.rule-arn>`, `<aws.events.rule-name>`, `<aws.events.event>` (the event as
 * JSON), `<aws.events.event.json>` and `<aws.events.event.ingestion-time>` are predefined.
 */
export function fillTemplate(template: string, values: Record<string, unknown>): string {
  const json = /^\s*[{[]/.test(template);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    const placeholder = c === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && Object.hasOwn(values, placeholder[1]!)) {
      const value = values[placeholder[1]!];
      if (inString) out += value === undefined ? '' : typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(JSON.stringify(value)).slice(1, -1);
      else if (!json && typeof value === 'string') out += value;
      else out += value === undefined ? 'null' : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** What the target gets: the event, or what its Input, InputPath or InputTransformer make of it. */
export function targetInput(target: TargetRecord, event: BusEvent, rule: { arn: string; name: string }, ingestedAt: number): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return readPath(event, target.InputPath) ?? null;
  if (target.InputTransformer) {
    const values: Record<string, unknown> = {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.name,
      'aws.events.event': event,
      'aws.events.event.json': event,
      'aws.events.event.ingestion-time': new Date(ingestedAt).toISOString(),
    };
    for (const [key, path] of Object.entries(target.InputTransformer.InputPathsMap ?? {})) values[key] = readPath(event, path);
    const text = fillTemplate(target.InputTransformer.InputTemplate, values);
    try {
      return JSON.parse(text);
    } catch {
      // A template that is not JSON (plain text) reaches the target as a string.
      return text;
    }
  }
  return event;
}

// ---------------------------------------------------------------------------------------------

export class EventDelivery {
  private readonly pending = new Map<string, Delivery>();
  private readonly inFlight = new Set<string>();
  private readonly lastFired = new Map<string, number>();
  private readonly dead: DeadLetter[] = [];
  private readonly schedules = new Map<string, Schedule>();
  private ticking: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private running = new Set<Promise<void>>();

  private constructor(private readonly options: EventDeliveryOptions) {}

  static async open(options: EventDeliveryOptions): Promise<EventDelivery> {
    const delivery = new EventDelivery(options);
    const records = await options.journal.load();
    for (const record of records) delivery.apply(record);
    await delivery.compact(records.length);
    return delivery;
  }

  private apply(record: DeliveryRecord): void {
    switch (record.kind) {
      case 'queued':
        this.pending.set(record.id, { ...record, attempts: 0, nextAt: record.queuedAt });
        return;
      case 'failed': {
        const delivery = this.pending.get(record.id);
        if (!delivery) return;
        delivery.attempts = record.attempt;
        delivery.nextAt = record.retryAt;
        delivery.lastError = record.error;
        return;
      }
      case 'delivered':
        this.pending.delete(record.id);
        return;
      case 'dead-lettered': {
        const delivery = this.pending.get(record.id);
        this.pending.delete(record.id);
        if (delivery) {
          this.dead.push({
            id: record.id,
            ruleArn: delivery.ruleArn,
            targetId: delivery.target.Id,
            targetArn: delivery.target.Arn,
            eventId: delivery.event.id,
            reason: record.reason,
            at: record.at,
            deadLetterArn: record.deadLetterArn,
          });
          if (this.dead.length > 1000) this.dead.shift();
        }
        return;
      }
      case 'fired':
        this.lastFired.set(record.ruleArn, record.at);
        return;
    }
  }

  private async write(...records: DeliveryRecord[]): Promise<void> {
    for (const record of records) this.apply(record);
    await this.options.journal.append(...records);
  }

  /** Rewrites the journal with only what is still needed when mostly finished deliveries fill it. */
  private async compact(size: number): Promise<void> {
    if (!this.options.journal.rewrite || size < 1000 || size < 4 * (this.pending.size + this.lastFired.size)) return;
    const records: DeliveryRecord[] = [
      ...[...this.lastFired].map(([ruleArn, at]) => ({ kind: 'fired' as const, ruleArn, at })),
      ...[...this.pending.values()].flatMap((d): DeliveryRecord[] => [
        { kind: 'queued', id: d.id, ruleArn: d.ruleArn, ruleName: d.ruleName, target: d.target, event: d.event, queuedAt: d.queuedAt },
        ...(d.attempts ? [{ kind: 'failed' as const, id: d.id, attempt: d.attempts, error: d.lastError ?? '', retryAt: d.nextAt }] : []),
      ]),
    ];
    await this.options.journal.rewrite(records);
  }

  /**
   * Called once PutEvents has stored events on `busName`: queues a delivery per matching rule and
   * target, durably (await it before answering PutEvents), and starts delivering at once.
   */
  async accept(events: BusEvent[], busName: string): Promise<number> {
    const now = this.options.clock.now();
    const queued = events.flatMap((event) => this.options.rules.matching(busName, event).flatMap((rule) => this.queue(rule, event, now)));
    if (!queued.length) return 0;
    await this.write(...queued);
    this.kick();
    return queued.length;
  }

  private queue(rule: RuleRecord, event: BusEvent, now: number): DeliveryRecord[] {
    return rule.targets.map((target) => ({ kind: 'queued' as const, id: randomUUID(), ruleArn: rule.arn, ruleName: rule.name, target, event, queuedAt: now }));
  }

  /** Delivers in the background: at once after accept(), and whatever falls due (retries, schedules) every `pollMs`. */
  start(pollMs = 200): void {
    this.timer ??= setInterval(() => this.kick(), pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.all(this.running);
  }

  /** Runs a pass now, or right after the one under way (which may have looked before new deliveries were queued). */
  private kick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.options.log?.(`[local-cloud] events: delivery pass failed: ${(err as Error).name}`))
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass: fires the schedules that are due, and starts every delivery that is due. */
  async tick(): Promise<void> {
    await this.fireSchedules();
    const now = this.options.clock.now();
    const limit = this.options.concurrency ?? 8;
    for (const delivery of [...this.pending.values()].sort((a, b) => a.nextAt - b.nextAt)) {
      if (delivery.nextAt > now) break;
      if (this.inFlight.has(delivery.id)) continue;
      if (this.inFlight.size >= limit) await Promise.race(this.running);
      this.inFlight.add(delivery.id);
      const attempt = this.attempt(delivery).finally(() => {
        this.inFlight.delete(delivery.id);
        this.running.delete(attempt);
      });
      this.running.add(attempt);
    }
  }

  /** Resolves once nothing is being delivered and nothing is due now (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await this.ticking;
      await Promise.all(this.running);
      const now = this.options.clock.now();
      if (![...this.pending.values()].some((d) => d.nextAt <= now) && !this.running.size) return;
      this.kick();
      await this.ticking;
    }
  }

  private async fireSchedules(): Promise<void> {
    const now = this.options.clock.now();
    for (const rule of this.options.rules.scheduled()) {
      let schedule = this.schedules.get(rule.scheduleExpression!);
      if (!schedule) {
        schedule = parseScheduleExpression(rule.scheduleExpression!);
        this.schedules.set(rule.scheduleExpression!, schedule);
      }
      const since = rule.scheduleSince ?? rule.createdAt;
      const due = nextFireAfter(schedule, since, Math.max(since, this.lastFired.get(rule.arn) ?? since));
      if (due === undefined || due > now) continue;
      // One event for the latest due time, however long the clock jumped: missed firings are not replayed.
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: this.options.account,
        time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.options.region,
        resources: [rule.arn],
        detail: {},
      };
      await this.write({ kind: 'fired', ruleArn: rule.arn, at: now }, ...this.queue(rule, event, now));
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const attempt = delivery.attempts + 1;
    try {
      await this.send(delivery);
      await this.write({ kind: 'delivered', id: delivery.id, at: this.options.clock.now() });
    } catch (err) {
      const failure = err instanceof DeliveryFailure ? err : new DeliveryFailure((err as Error).message, 'eventbridge', (err as Error).name);
      const retryAt = this.retryAt(delivery, attempt, failure);
      if (retryAt === undefined) {
        const reason = `${failure.message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`;
        this.options.log?.(`[local-cloud] events: gave up delivering event ${delivery.event.id} of rule ${delivery.ruleName} to ${delivery.target.Arn} (${failure.code})`);
        await this.write({ kind: 'dead-lettered', id: delivery.id, reason, at: this.options.clock.now(), deadLetterArn: delivery.target.DeadLetterConfig?.Arn });
      } else {
        await this.write({ kind: 'failed', id: delivery.id, attempt, error: failure.message, retryAt });
      }
    }
  }

  private retryAt(delivery: Delivery, attempt: number, failure: DeliveryFailure): number | undefined {
    const now = this.options.clock.now();
    const scale = this.options.retryScale ?? 1;
    if (failure.retry === 'never') return undefined;
    if (failure.retry === 'lambda-async') {
      const delay = LAMBDA_ASYNC_RETRY_DELAYS_MS[attempt - 1];
      return delay === undefined ? undefined : now + delay * scale;
    }
    const policy = delivery.target.RetryPolicy ?? {};
    if (attempt > (policy.MaximumRetryAttempts ?? DEFAULT_MAX_ATTEMPTS)) return undefined;
    const retryAt = now + Math.min(300_000, 1000 * 2 ** (attempt - 1)) * scale;
    if (retryAt - delivery.queuedAt > (policy.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000) return undefined;
    return retryAt;
  }

  private async send(delivery: Delivery): Promise<void> {
    const { target, event } = delivery;
    const input = targetInput(target, event, { arn: delivery.ruleArn, name: delivery.ruleName }, delivery.queuedAt);
    const refusal = (err: unknown) => {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      return new DeliveryFailure(`${code}: ${(err as Error).message}`, NOT_RETRIED.has(code) ? 'never' : 'eventbridge', code);
    };
    switch (targetKind(target.Arn)) {
      case 'lambda': {
        let result: { payload: unknown; functionError?: string };
        try {
          result = await this.options.invoke(target.Arn, input, { ruleArn: delivery.ruleArn });
        } catch (err) {
          throw refusal(err);
        }
        if (result.functionError) {
          const errorType = (result.payload as { errorType?: string } | null)?.errorType ?? 'Unhandled';
          throw new DeliveryFailure(`the function failed with ${errorType}`, 'lambda-async', errorType);
        }
        return;
      }
      case 'state-machine':
        try {
          await this.options.startExecution(target.Arn, JSON.stringify(input), target.RoleArn, delivery.id);
        } catch (err) {
          throw refusal(err);
        }
        return;
      case 'event-bus':
        try {
          await this.options.putOnBus(target.Arn, event, { account: this.options.account });
        } catch (err) {
          throw refusal(err);
        }
        return;
      default:
        throw new DeliveryFailure(`the local cloud cannot deliver to ${target.Arn}`, 'never', 'UnsupportedTarget');
    }
  }

  /** Deliveries not yet done, for /_local (what AWS shows as metrics, not API). */
  queued(): Delivery[] {
    return [...this.pending.values()].map((d) => ({ ...d }));
  }

  deadLetters(): DeadLetter[] {
    return [...this.dead];
  }
}

import { join } from 'node:path';
import { serviceCaller } from './auth/principals.ts';
import type { Clock } from './clock.ts';
import { AwsError } from './errors.ts';
import type { Scope, Scopes } from './scopes.ts';
import { EventBuses } from './services/eventbridge/buses.ts';
import type { EventLog, StoredEvent } from './services/eventbridge/event-store.ts';
import { BUS_ARN } from './services/eventbridge/rule-shapes.ts';
import { EventRules, type RulesRecord } from './services/eventbridge/rules.ts';
import { EventDelivery, type BusEvent, type DeadLetter, type Delivery, type DeliveryRecord } from './services/eventbridge/targets.ts';
import type { LambdaRuntime } from './services/lambda/functions.ts';
import { StatesEngine } from './services/states/engine.ts';
import { FileJournal } from './services/states/file-journal.ts';
import type { StatesRecord } from './services/states/model.ts';
import { StepFunctionsService } from './services/states/operations.ts';

/**
 * The engines that run by themselves in each account-region: Step Functions executions, and
 * EventBridge rules with the delivery of matched events to their targets. One of each per
 * partition, opened with the partition (so whatever a crash interrupted resumes at start), each on
 * its own journal in the partition's folder:
 *
 *   <account>/<region>/states/journal.jsonl            state machines, executions and their histories
 *   <account>/<region>/eventbridge/rules.jsonl         rules, targets, bus policies
 *   <account>/<region>/eventbridge/deliveries.jsonl    deliveries not yet done, dead letters, schedule firings
 *
 * This module also connects the partitions: a task invokes a function anywhere by its ARN, a rule
 * starts an execution or puts an event on a bus of another partition (subject to that bus's
 * policy), and every event stored on a bus is handed to that partition's rules.
 */

export interface EngineTiming {
  /** Factor for Wait states' durations (1: as written). */
  waitScale: number;
  /** Factor for Step Functions Retry intervals and EventBridge's delivery retries (1: as AWS waits). */
  retryScale: number;
}

/** The embedded default's timing: a Wait of 10 s takes 0.5 s, a retry after 2 s comes after 0.2 s. */
export const DEFAULT_ENGINE_TIMING: EngineTiming = { waitScale: 0.05, retryScale: 0.1 };

type Api = Record<string, (input: unknown) => Promise<unknown>>;

export interface PartitionEngines {
  account: string;
  region: string;
  states: StatesEngine;
  /** The Step Functions API of this account-region. */
  statesApi: Api;
  rules: EventRules;
  /** The rule, target and bus-policy operations of EventBridge in this account-region. */
  rulesApi: Api;
  delivery: EventDelivery;
}

export interface CloudEnginesDeps {
  scopes: Scopes;
  clock: Clock;
  /** The clock's speed, so sleeps on it take the right real time. */
  clockScale: number;
  timing: EngineTiming;
  lambda: LambdaRuntime;
  events: EventLog;
  organizationOf(account: string): string | undefined;
  log(line: string): void;
}

/** What a partition keeps in its scope: the engines once open, and the journals to close at the end. */
interface Slot {
  ready: Promise<PartitionEngines>;
  close(): Promise<void>;
}

const EVENTS_PRINCIPAL = 'events.amazonaws.com';
const MACHINE_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:[^:]+$/;

export class CloudEngines {
  private readonly partitions = new Set<PartitionEngines>();
  private started = false;

  constructor(private readonly deps: CloudEnginesDeps) {
    deps.events.route((scope, events) => this.route(scope, events));
  }

  /** The engines of an account-region (opened on first use; the scopes open them with the partition). */
  of(scope: Scope): Promise<PartitionEngines> {
    return scope.service<Slot>('engines', (s) => this.open(s)).ready;
  }

  /** The engines of an account-region that exists; undefined for one never used (nothing is created). */
  async existing(account: string, region: string): Promise<PartitionEngines | undefined> {
    const scope = this.deps.scopes.openRegion(account, region);
    return scope && this.of(scope);
  }

  /**
   * Resumes every execution left RUNNING and every delivery not yet done, in every partition open
   * now and any opened later. Called once the cloud listens (functions get its URL) and its
   * built-in functions are registered.
   */
  start(): void {
    this.started = true;
    for (const partition of this.partitions) this.startPartition(partition);
  }

  /** Stops every loop (executions stay RUNNING, deliveries queued: they resume at the next start). */
  async stop(): Promise<void> {
    this.started = false;
    // Deliveries first: one may be starting an execution.
    await Promise.all([...this.partitions].map((p) => p.delivery.stop()));
    await Promise.all([...this.partitions].map((p) => p.states.stop()));
  }

  /** One delivery pass in every partition now (schedules due, retries due). */
  async tick(): Promise<void> {
    await Promise.all([...this.partitions].map((p) => p.delivery.tick()));
  }

  /** Resolves once no partition is delivering anything due now. */
  async deliveriesIdle(): Promise<void> {
    await Promise.all([...this.partitions].map((p) => p.delivery.idle()));
  }

  /** Deliveries not yet done and given up, of one account-region (for /_local). */
  async deliveries(account: string, region: string): Promise<{ queued: Delivery[]; deadLetters: DeadLetter[] }> {
    const partition = await this.existing(account, region);
    return { queued: partition?.delivery.queued() ?? [], deadLetters: partition?.delivery.deadLetters() ?? [] };
  }

  private startPartition(partition: PartitionEngines): void {
    partition.states.start();
    partition.delivery.start();
  }

  private open(scope: Scope): Slot {
    const { clock, clockScale, timing, lambda, events, log } = this.deps;
    const home = { account: scope.account, region: scope.region };
    const journals = {
      states: new FileJournal<StatesRecord>(join(scope.dir, 'states', 'journal.jsonl')),
      rules: new FileJournal<RulesRecord>(join(scope.dir, 'eventbridge', 'rules.jsonl')),
      deliveries: new FileJournal<DeliveryRecord>(join(scope.dir, 'eventbridge', 'deliveries.jsonl')),
    };
    const ready = (async (): Promise<PartitionEngines> => {
      const states = await StatesEngine.open({ ...home, clock, clockScale, journal: journals.states, invoke: (arn, payload) => lambda.invoke(arn, payload, home), timing, log });
      const rules = await EventRules.open({ ...home, clock, journal: journals.rules, busExists: (name) => EventBuses.of(scope, clock, events).get(name) !== undefined });
      const delivery = await EventDelivery.open({
        ...home,
        clock,
        journal: journals.deliveries,
        rules,
        retryScale: timing.retryScale,
        log,
        invoke: (arn, payload, source) => this.invokeTarget(arn, payload, source.ruleArn, home),
        startExecution: (arn, input, _roleArn, name) => this.startExecution(arn, input, name),
        putOnBus: (arn, event, sender) => this.putOnBus(arn, event, sender),
      });
      const partition: PartitionEngines = { ...home, states, statesApi: new StepFunctionsService(states).operations(), rules, rulesApi: rules.operations(), delivery };
      this.partitions.add(partition);
      if (this.started) this.startPartition(partition);
      return partition;
    })();
    return {
      ready,
      close: async () => {
        for (const journal of Object.values(journals)) await journal.close();
      },
    };
  }

  /** Events just stored on buses of `scope`: each bus's rules queue their deliveries. */
  private async route(scope: Scope, stored: readonly StoredEvent[]): Promise<void> {
    const byBus = new Map<string, BusEvent[]>();
    for (const { 'event-bus-name': bus, ...event } of stored) {
      const onBus = byBus.get(bus);
      if (onBus) onBus.push(event);
      else byBus.set(bus, [event]);
    }
    const { delivery } = await this.of(scope);
    const buses = EventBuses.of(scope, this.deps.clock, this.deps.events);
    // An event put on a bus that does not exist (any longer) is kept for /_local/events but, as in AWS, goes nowhere.
    for (const [bus, events] of byBus) if (buses.get(bus)) await delivery.accept(events, bus);
  }

  /**
   * A rule's Lambda target, invoked as EventBridge invokes it: only if the function's resource
   * policy lets events.amazonaws.com invoke it for this rule (what CDK's LambdaFunction target and
   * `aws lambda add-permission` set up), as AWS requires.
   */
  private async invokeTarget(functionArn: string, payload: unknown, ruleArn: string, home: { account: string; region: string }) {
    const { lambda } = this.deps;
    if (!lambda.find(functionArn, home)) throw new AwsError('ResourceNotFoundException', `Function not found: ${functionArn}`, 404);
    if (!lambda.canInvoke(functionArn, serviceCaller(EVENTS_PRINCIPAL, home.account, ruleArn), home)) {
      throw new AwsError('AccessDeniedException', `${EVENTS_PRINCIPAL} may not invoke ${functionArn} for ${ruleArn}: the function's resource policy does not allow it.`);
    }
    return lambda.invoke(functionArn, payload, home);
  }

  /** A rule's state machine target: an execution named after the delivery, so a repeated delivery finds it. */
  private async startExecution(stateMachineArn: string, input: string, name: string): Promise<void> {
    const [, region, account] = MACHINE_ARN.exec(stateMachineArn) ?? [];
    const partition = account && region ? await this.existing(account, region) : undefined;
    if (!partition) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    try {
      await partition.statesApi.StartExecution!({ stateMachineArn, input, name });
    } catch (err) {
      // The name is this delivery's alone: an execution by that name is the one an earlier attempt started.
      if (err instanceof AwsError && err.code === 'ExecutionAlreadyExists') return;
      throw err;
    }
  }

  /**
   * A rule's event bus target (perhaps of another account or region): the bus must exist and its
   * policy must let the sending account put events on it; the event is stored there as it is (its
   * id, account and region stay the original's) and goes through that bus's rules.
   */
  private async putOnBus(busArn: string, event: BusEvent, sender: { account: string }): Promise<void> {
    const [, region, account, name] = BUS_ARN.exec(busArn) ?? [];
    const scope = account && region ? this.deps.scopes.openRegion(account, region) : undefined;
    if (!scope || !EventBuses.of(scope, this.deps.clock, this.deps.events).get(name!)) throw new AwsError('ResourceNotFoundException', `Event bus ${name ?? busArn} does not exist.`);
    const { rules } = await this.of(scope);
    if (!rules.allowsPutEvents(name!, { account: sender.account, orgId: this.deps.organizationOf(sender.account) })) {
      throw new AwsError('AccessDeniedException', `User: arn:aws:iam::${sender.account}:root is not authorized to perform: events:PutEvents on resource: ${busArn}`);
    }
    await this.deps.events.append(scope, [{ ...event, 'event-bus-name': name! }]);
  }
}

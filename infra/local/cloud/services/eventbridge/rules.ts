import { AwsError } from '../../errors.ts';
import { compact, decodeNextToken as decodePosition, encodeNextToken, parseInput } from '../../validation.ts';
import type { Journal } from '../states/model.ts';
import { allowsPutEvents, permissionShapes, policyAfterPut, policyAfterRemove, type PolicyDocument } from './bus-policy.ts';
import { matchesEvent, parseEventPattern, type EventPattern } from './event-pattern.ts';
import { BUS_ARN, ruleShapes as shapes, targetProblem } from './rule-shapes.ts';
import { parseScheduleExpression } from './schedule-expressions.ts';

/**
 * EventBridge rules and targets of one account and region, and the event buses' resource policies
 * (PutPermission): the API, and the questions delivery asks (which enabled rules match this event,
 * which rules run on a schedule, may that account put events on this bus). Every change is a
 * record in the journal, durable before the operation answers.
 */

export interface TargetRecord {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

export interface RuleRecord {
  name: string;
  busName: string;
  arn: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  description?: string;
  roleArn?: string;
  createdBy: string;
  createdAt: number;
  /** When the current schedule was set: rate() counts from here. */
  scheduleSince?: number;
  targets: TargetRecord[];
  tags?: Array<{ Key: string; Value: string }>;
}

export type RulesRecord =
  | { kind: 'rule'; rule: RuleRecord }
  | { kind: 'rule-deleted'; busName: string; name: string }
  | { kind: 'policy'; busName: string; policy: PolicyDocument | null };

export interface EventRulesOptions {
  account: string;
  region: string;
  clock: { now(): number };
  journal: Journal<RulesRecord>;
  /** Whether this account and region has that bus (buses live in the EventBridge bus store). */
  busExists(name: string): boolean;
}

const MAX_TARGETS_PER_RULE = 5;

/** EventBridge answers a page token it did not issue with a ValidationException. */
function decodeNextToken(token: string | undefined): number {
  try {
    return decodePosition(token);
  } catch {
    throw new AwsError('ValidationException', 'The NextToken value is invalid.');
  }
}

export class EventRules {
  private readonly rules = new Map<string, RuleRecord>();
  private readonly patterns = new Map<string, EventPattern>();
  private readonly policies = new Map<string, PolicyDocument>();

  private constructor(private readonly options: EventRulesOptions) {}

  static async open(options: EventRulesOptions): Promise<EventRules> {
    const rules = new EventRules(options);
    for (const record of await options.journal.load()) rules.apply(record);
    return rules;
  }

  private key(busName: string, name: string): string {
    return `${busName}\u0000${name}`;
  }

  private apply(record: RulesRecord): void {
    switch (record.kind) {
      case 'rule':
        this.rules.set(this.key(record.rule.busName, record.rule.name), record.rule);
        if (record.rule.eventPattern) this.patterns.set(record.rule.arn, parseEventPattern(record.rule.eventPattern));
        else this.patterns.delete(record.rule.arn);
        return;
      case 'rule-deleted': {
        const rule = this.rules.get(this.key(record.busName, record.name));
        if (rule) this.patterns.delete(rule.arn);
        this.rules.delete(this.key(record.busName, record.name));
        return;
      }
      case 'policy':
        if (record.policy) this.policies.set(record.busName, record.policy);
        else this.policies.delete(record.busName);
        return;
    }
  }

  private async write(record: RulesRecord): Promise<void> {
    this.apply(record);
    await this.options.journal.append(record);
  }

  busArn(busName: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.account}:event-bus/${busName}`;
  }

  ruleArn(busName: string, name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.account}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`;
  }

  /** The bus a request names (a name or an ARN of this account and region; default when absent), which must exist. */
  private bus(nameOrArn: string | undefined): string {
    let name = nameOrArn ?? 'default';
    const arn = BUS_ARN.exec(name);
    if (arn) {
      if (arn[1] !== this.options.region || arn[2] !== this.options.account) throw new AwsError('ResourceNotFoundException', `Event bus ${nameOrArn} does not exist.`);
      name = arn[3]!;
    }
    if (!this.options.busExists(name)) throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return name;
  }

  private requireRule(busName: string, name: string): RuleRecord {
    const rule = this.rules.get(this.key(busName, name));
    if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
    return rule;
  }

  /** DeleteEventBus: "deleting an event bus deletes the rules associated with that event bus" (and its policy). */
  async forgetBus(busName: string): Promise<void> {
    const records: RulesRecord[] = [...this.rules.values()].filter((r) => r.busName === busName).map((r) => ({ kind: 'rule-deleted', busName, name: r.name }));
    if (this.policies.has(busName)) records.push({ kind: 'policy', busName, policy: null });
    for (const record of records) this.apply(record);
    await this.options.journal.append(...records);
  }

  /** ENABLED rules on the bus whose pattern matches the event: the ones delivery sends it through. */
  matching(busName: string, event: unknown): RuleRecord[] {
    return [...this.rules.values()].filter(
      (rule) => rule.busName === busName && rule.state !== 'DISABLED' && rule.eventPattern !== undefined && matchesEvent(this.patterns.get(rule.arn)!, event),
    );
  }

  /** ENABLED rules with a schedule (only the default bus has them). */
  scheduled(): RuleRecord[] {
    return [...this.rules.values()].filter((rule) => rule.state !== 'DISABLED' && rule.scheduleExpression !== undefined);
  }

  byArn(arn: string): RuleRecord | undefined {
    return [...this.rules.values()].find((rule) => rule.arn === arn);
  }

  /** The bus's resource policy as DescribeEventBus shows it (`Policy`), if it has one. */
  policyOf(busName: string): string | undefined {
    const policy = this.policies.get(busName);
    return policy ? JSON.stringify(policy) : undefined;
  }

  /**
   * Whether `caller` (an account, with its organisation) may put events on this bus: its own
   * account always may; another only if the bus policy allows it and nothing denies it.
   */
  allowsPutEvents(busName: string, caller: { account: string; orgId?: string }): boolean {
    return allowsPutEvents(this.policies.get(busName), this.busArn(busName), this.options.account, caller);
  }

  /** The bus's policy as it is stored (for IAM's view of a cross-account PutEvents). */
  policyDocument(busName: string): PolicyDocument | undefined {
    return this.policies.get(busName);
  }

  operations(): Record<string, (input: unknown) => Promise<unknown>> {
    const now = () => this.options.clock.now();
    return {
      PutRule: async (raw) => {
        const input = parseInput(shapes.PutRule, raw);
        const busName = this.bus(input.EventBusName);
        if (input.EventPattern === undefined && input.ScheduleExpression === undefined) {
          throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
        }
        if (input.EventPattern !== undefined) parseEventPattern(input.EventPattern);
        if (input.ScheduleExpression !== undefined) {
          if (busName !== 'default') throw new AwsError('ValidationException', 'ScheduleExpression is supported only on the default event bus.');
          parseScheduleExpression(input.ScheduleExpression);
        }
        const existing = this.rules.get(this.key(busName, input.Name));
        // An update replaces every field; what it leaves out is gone (targets and tags stay).
        const rule: RuleRecord = compact({
          name: input.Name,
          busName,
          arn: this.ruleArn(busName, input.Name),
          eventPattern: input.EventPattern,
          scheduleExpression: input.ScheduleExpression,
          state: input.State ?? 'ENABLED',
          description: input.Description,
          roleArn: input.RoleArn,
          createdBy: existing?.createdBy ?? this.options.account,
          createdAt: existing?.createdAt ?? now(),
          scheduleSince:
            input.ScheduleExpression === undefined ? undefined : existing?.scheduleExpression === input.ScheduleExpression ? existing.scheduleSince : now(),
          targets: existing?.targets ?? [],
          tags: existing ? existing.tags : input.Tags,
        }) as RuleRecord;
        await this.write({ kind: 'rule', rule });
        return { RuleArn: rule.arn };
      },

      DescribeRule: async (raw) => {
        const input = parseInput(shapes.RuleName, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Name);
        return compact({
          Name: rule.name,
          Arn: rule.arn,
          EventPattern: rule.eventPattern,
          ScheduleExpression: rule.scheduleExpression,
          State: rule.state,
          Description: rule.description,
          RoleArn: rule.roleArn,
          EventBusName: rule.busName,
          CreatedBy: rule.createdBy,
        });
      },

      ListRules: async (raw) => {
        const input = parseInput(shapes.ListRules, raw);
        const busName = this.bus(input.EventBusName);
        const matching = [...this.rules.values()]
          .filter((r) => r.busName === busName && (!input.NamePrefix || r.name.startsWith(input.NamePrefix)))
          .sort((a, b) => a.name.localeCompare(b.name));
        const start = decodeNextToken(input.NextToken);
        const limit = input.Limit ?? 100;
        return compact({
          Rules: matching.slice(start, start + limit).map((r) =>
            compact({ Name: r.name, Arn: r.arn, EventPattern: r.eventPattern, ScheduleExpression: r.scheduleExpression, State: r.state, Description: r.description, RoleArn: r.roleArn, EventBusName: r.busName }),
          ),
          NextToken: start + limit < matching.length ? encodeNextToken(start + limit) : undefined,
        });
      },

      DeleteRule: async (raw) => {
        const input = parseInput(shapes.RuleName, raw);
        const busName = this.bus(input.EventBusName);
        const rule = this.rules.get(this.key(busName, input.Name));
        if (!rule) return {};
        if (rule.targets.length) throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
        await this.write({ kind: 'rule-deleted', busName, name: input.Name });
        return {};
      },

      EnableRule: async (raw) => {
        const input = parseInput(shapes.RuleName, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Name);
        if (rule.state === 'DISABLED') await this.write({ kind: 'rule', rule: { ...rule, state: 'ENABLED' } });
        return {};
      },

      DisableRule: async (raw) => {
        const input = parseInput(shapes.RuleName, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Name);
        if (rule.state !== 'DISABLED') await this.write({ kind: 'rule', rule: { ...rule, state: 'DISABLED' } });
        return {};
      },

      PutTargets: async (raw) => {
        const input = parseInput(shapes.PutTargets, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Rule);
        const failed: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> = [];
        const targets = new Map(rule.targets.map((t) => [t.Id, t]));
        for (const t of input.Targets) {
          const problem = targetProblem(t, rule.busName, this.options);
          if (problem) failed.push({ TargetId: t.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
          else targets.set(t.Id, compact(t) as TargetRecord);
        }
        if (targets.size > MAX_TARGETS_PER_RULE) throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
        if (failed.length < input.Targets.length) await this.write({ kind: 'rule', rule: { ...rule, targets: [...targets.values()] } });
        return { FailedEntryCount: failed.length, FailedEntries: failed };
      },

      RemoveTargets: async (raw) => {
        const input = parseInput(shapes.RemoveTargets, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Rule);
        const remaining = rule.targets.filter((t) => !input.Ids.includes(t.Id));
        if (remaining.length !== rule.targets.length) await this.write({ kind: 'rule', rule: { ...rule, targets: remaining } });
        return { FailedEntryCount: 0, FailedEntries: [] };
      },

      ListTargetsByRule: async (raw) => {
        const input = parseInput(shapes.ListTargetsByRule, raw);
        const rule = this.requireRule(this.bus(input.EventBusName), input.Rule);
        const start = decodeNextToken(input.NextToken);
        const limit = input.Limit ?? 100;
        return compact({ Targets: rule.targets.slice(start, start + limit), NextToken: start + limit < rule.targets.length ? encodeNextToken(start + limit) : undefined });
      },

      PutPermission: async (raw) => {
        const input = parseInput(permissionShapes.PutPermission, raw);
        const busName = this.bus(input.EventBusName);
        await this.write({ kind: 'policy', busName, policy: policyAfterPut(input, this.policies.get(busName), this.busArn(busName)) });
        return {};
      },

      RemovePermission: async (raw) => {
        const input = parseInput(permissionShapes.RemovePermission, raw);
        const busName = this.bus(input.EventBusName);
        const policy = policyAfterRemove(input, this.policies.get(busName));
        if (policy !== undefined) await this.write({ kind: 'policy', busName, policy });
        return {};
      },

      TestEventPattern: async (raw) => {
        const input = parseInput(shapes.TestEventPattern, raw);
        const pattern = parseEventPattern(input.EventPattern);
        let event: unknown;
        try {
          event = JSON.parse(input.Event);
        } catch {
          throw new AwsError('InvalidEventPatternException', 'Event is not valid JSON.');
        }
        const required = ['id', 'account', 'source', 'time', 'region', 'detail-type'];
        const missing = required.filter((field) => typeof (event as Record<string, unknown> | null)?.[field] !== 'string');
        if (missing.length) throw new AwsError('ValidationException', `Parameter Event is not valid: it needs ${missing.join(', ')}.`);
        return { Result: matchesEvent(pattern, event) };
      },
    };
  }
}

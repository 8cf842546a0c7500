import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { AuthorizedResource, Operation, RequestContext, ServiceProvider } from '../../context.ts';
import { AwsError } from '../../errors.ts';
import type { Scope } from '../../scopes.ts';
import { compact, decodeNextToken, encodeNextToken, epochSeconds, parseInput } from '../../validation.ts';
import { EventBuses, entryError, type EventInput } from './buses.ts';
import type { EventLog } from './event-store.ts';
import type { EventRules } from './rules.ts';

/**
 * EventBridge over JSON 1.1 (`AWSEvents.<Operation>`): buses and PutEvents here; rules, targets
 * and bus policies run on the account-region's EventRules. PutEvents stores the events and, through
 * the event log's router, queues their deliveries before it answers.
 */
export interface EventBridgeProviderDeps {
  clock: Clock;
  events: EventLog;
  /** The rules of an account-region, and their operations. */
  rulesOf(scope: Scope): Promise<{ rules: EventRules; rulesApi: Record<string, (input: unknown) => Promise<unknown>> }>;
}

/** EventBridge's limit on one PutEvents request, raised from 256 KB to 1 MB in January 2026. */
const MAX_REQUEST_BYTES = 1_048_576;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

const putEventsInput = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().optional(),
        DetailType: z.string().optional(),
        Detail: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        Time: z.union([z.number(), z.string()]).optional(),
        EventBusName: z.string().optional(),
        TraceHeader: z.string().optional(),
      }),
    )
    .min(1, 'Member must have length greater than or equal to 1')
    .max(10, 'Member must have length less than or equal to 10'),
  EndpointId: z.string().optional(),
});

const createEventBusInput = z.object({
  Name: z.string().regex(BUS_NAME, 'Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+'),
  Description: z.string().max(512).optional(),
  EventSourceName: z.string().optional(),
  KmsKeyIdentifier: z.string().optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
});

const listEventBusesInput = z.object({
  NamePrefix: z.string().optional(),
  Limit: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().optional(),
});

const busNameInput = z.object({ Name: z.string().optional() });

function entrySize(entry: EventInput): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const part of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (part) size += Buffer.byteLength(part);
  }
  return size;
}

const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

/** The rule, target and bus-policy operations, with the resource IAM authorises each on (the Service Authorization Reference's). */
const RULE_OPERATIONS: Record<string, 'rule' | 'target' | 'bus' | 'none'> = {
  PutRule: 'rule',
  DescribeRule: 'rule',
  DeleteRule: 'rule',
  EnableRule: 'rule',
  DisableRule: 'rule',
  ListRules: 'none',
  PutTargets: 'target',
  RemoveTargets: 'target',
  ListTargetsByRule: 'target',
  PutPermission: 'bus',
  RemovePermission: 'bus',
  TestEventPattern: 'none',
};

export function eventBridgeProvider({ clock, events: log, rulesOf }: EventBridgeProviderDeps): ServiceProvider {
  const buses = (ctx: RequestContext) => EventBuses.of(ctx.scope, clock, log);
  const busResource = (field: string) => (input: Record<string, unknown>, ctx: RequestContext) => {
    const name = EventBuses.nameOf(typeof input[field] === 'string' ? (input[field] as string) : undefined);
    return [{ arn: buses(ctx).arnOf(name), account: ctx.account }];
  };
  /** A rule's ARN as IAM sees it: in the account-region of the bus it is on (a bus ARN may name another). */
  const ruleResource = (nameField: string) => (input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] => {
    const bus = typeof input.EventBusName === 'string' ? input.EventBusName : 'default';
    const [, region, account, busName] = BUS_ARN.exec(bus) ?? [undefined, ctx.region, ctx.account, bus];
    const name = typeof input[nameField] === 'string' ? input[nameField] : '';
    return [{ arn: `arn:aws:events:${region}:${account}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`, account: account! }];
  };
  const ruleOperations = Object.fromEntries(
    Object.entries(RULE_OPERATIONS).map(([name, on]): [string, Operation] => [
      name,
      {
        resources: on === 'rule' ? ruleResource('Name') : on === 'target' ? ruleResource('Rule') : on === 'bus' ? busResource('EventBusName') : undefined,
        run: async (input, ctx) => (await rulesOf(ctx.scope)).rulesApi[name]!(input),
      },
    ]),
  );

  const operations: Record<string, Operation> = {
    PutEvents: {
      resources: (input, ctx) => {
        const entries = Array.isArray(input.Entries) ? (input.Entries as Array<{ EventBusName?: unknown }>) : [];
        const names = new Set(entries.map((e) => EventBuses.nameOf(typeof e?.EventBusName === 'string' ? e.EventBusName : undefined)));
        return [...names].map((name) => ({ arn: buses(ctx).arnOf(name), account: ctx.account }));
      },
      async run(raw, ctx) {
        const input = parseInput(putEventsInput, raw);
        const total = input.Entries.reduce((sum, entry) => sum + entrySize(entry), 0);
        if (total > MAX_REQUEST_BYTES) throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.');
        if (input.Entries.every((entry) => entryError(entry)?.ErrorCode === 'InvalidArgument')) {
          throw new AwsError('ValidationException', 'None of the entries has Source, DetailType and Detail: every entry needs all three.');
        }
        return buses(ctx).putEvents(input.Entries);
      },
    },

    CreateEventBus: {
      resources: busResource('Name'),
      async run(raw, ctx) {
        const input = parseInput(createEventBusInput, raw);
        if (input.Name === 'default') throw new AwsError('ValidationException', 'The event bus name "default" is reserved for the default event bus.');
        if (input.Name.includes('/')) throw new AwsError('ValidationException', 'A custom event bus name cannot contain "/".');
        const bus = buses(ctx).create(input.Name, input.Description);
        await buses(ctx).commit();
        return compact({ EventBusArn: bus.arn, Description: bus.description });
      },
    },

    DescribeEventBus: {
      resources: busResource('Name'),
      async run(raw, ctx) {
        const name = EventBuses.nameOf(parseInput(busNameInput, raw).Name);
        const bus = buses(ctx).get(name);
        if (!bus) throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        const { rules } = await rulesOf(ctx.scope);
        return compact({
          Name: bus.name,
          Arn: bus.arn,
          Description: bus.description,
          Policy: rules.policyOf(bus.name),
          CreationTime: epochSeconds(bus.created),
          LastModifiedTime: epochSeconds(bus.lastModified),
        });
      },
    },

    DeleteEventBus: {
      resources: busResource('Name'),
      async run(raw, ctx) {
        const name = EventBuses.nameOf(parseInput(busNameInput, raw).Name);
        if (name === 'default') throw new AwsError('ValidationException', 'Cannot delete event bus default.');
        await (await rulesOf(ctx.scope)).rules.forgetBus(name);
        buses(ctx).delete(name);
        await buses(ctx).commit();
        return {};
      },
    },

    ListEventBuses: {
      async run(raw, ctx) {
        const input = parseInput(listEventBusesInput, raw);
        const matching = buses(ctx)
          .list()
          .filter((b) => !input.NamePrefix || b.name.startsWith(input.NamePrefix));
        const start = decodeNextToken(input.NextToken);
        const limit = input.Limit ?? 100;
        const { rules } = await rulesOf(ctx.scope);
        return compact({
          EventBuses: matching
            .slice(start, start + limit)
            .map((b) =>
              compact({ Name: b.name, Arn: b.arn, Description: b.description, Policy: rules.policyOf(b.name), CreationTime: epochSeconds(b.created), LastModifiedTime: epochSeconds(b.lastModified) }),
            ),
          NextToken: start + limit < matching.length ? encodeNextToken(start + limit) : undefined,
        });
      },
    },
    ...ruleOperations,
  };

  return {
    name: 'events',
    bindings: [{ protocol: 'json', targetPrefix: 'AWSEvents', contentType: 'application/x-amz-json-1.1' }],
    operations,
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}

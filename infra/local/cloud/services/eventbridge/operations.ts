import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AwsError } from '../../errors.ts';
import type { ServiceContext } from '../../context.ts';
import { compact, decodeNextToken, encodeNextToken, epochSeconds, parseInput } from '../../validation.ts';
import type { BusRecord, EventStore, StoredEvent } from './event-store.ts';

/** EventBridge's limit on one PutEvents request, raised from 256 KB to 1 MB in January 2026. */
const MAX_REQUEST_BYTES = 1_048_576;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

export interface EventInput {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string;
  EventBusName?: string;
}

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

/** Why an entry is refused, as PutEvents reports it per entry (or undefined when it is fine). */
function entryError(entry: EventInput): { ErrorCode: string; ErrorMessage: string } | undefined {
  for (const [field, value] of [['Source', entry.Source], ['DetailType', entry.DetailType], ['Detail', entry.Detail]] as const) {
    if (value === undefined || value === '') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
    }
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail!);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

export class EventBridgeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: EventStore,
  ) {}

  busArn(name: string): string {
    return `arn:aws:events:${this.ctx.region}:${this.ctx.account}:event-bus/${name}`;
  }

  /** The default bus always exists, as in every AWS account. */
  ensureDefaultBus(): void {
    if (!this.ctx.state.buses.some((b) => b.name === 'default')) {
      const now = this.ctx.clock.now();
      this.ctx.state.buses.unshift({ name: 'default', arn: this.busArn('default'), created: now, lastModified: now });
    }
  }

  private busName(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    const arn = /^arn:aws:events:[^:]+:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
    return arn ? arn[1]! : nameOrArn;
  }

  /** Puts events on a bus, as PutEvents does: valid entries are kept even when others fail. */
  async putEvents(entries: EventInput[]): Promise<{ FailedEntryCount: number; Entries: Array<Record<string, string>> }> {
    const accepted: StoredEvent[] = [];
    const results = entries.map((entry) => {
      const error = entryError(entry);
      if (error) return error;
      const id = randomUUID();
      const time = entry.Time === undefined ? this.ctx.clock.now() : typeof entry.Time === 'number' ? entry.Time * 1000 : Date.parse(entry.Time);
      accepted.push({
        version: '0',
        id,
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.ctx.account,
        time: new Date(Number.isFinite(time) ? time : this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.ctx.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail!),
        // AWS accepts events for a bus that does not exist (and drops them); keeping them under
        // that name lets a test see where a misnamed bus sent them.
        'event-bus-name': this.busName(entry.EventBusName),
      });
      return { EventId: id };
    });
    await this.store.append(accepted);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  operations() {
    return {
      PutEvents: async (raw: unknown) => {
        const input = parseInput(putEventsInput, raw);
        const total = input.Entries.reduce((sum, entry) => sum + entrySize(entry), 0);
        if (total > MAX_REQUEST_BYTES) throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.');
        if (input.Entries.every((entry) => entryError(entry)?.ErrorCode === 'InvalidArgument')) {
          throw new AwsError('ValidationException', 'None of the entries has Source, DetailType and Detail: every entry needs all three.');
        }
        return this.putEvents(input.Entries);
      },

      CreateEventBus: (raw: unknown) => {
        const input = parseInput(createEventBusInput, raw);
        if (input.Name === 'default') throw new AwsError('ValidationException', 'The event bus name "default" is reserved for the default event bus.');
        if (input.Name.includes('/')) throw new AwsError('ValidationException', 'A custom event bus name cannot contain "/".');
        if (this.ctx.state.buses.some((b) => b.name === input.Name)) {
          throw new AwsError('ResourceAlreadyExistsException', `Event bus ${input.Name} already exists.`);
        }
        const now = this.ctx.clock.now();
        const bus: BusRecord = { name: input.Name, arn: this.busArn(input.Name), description: input.Description, created: now, lastModified: now };
        this.ctx.state.buses.push(bus);
        return compact({ EventBusArn: bus.arn, Description: bus.description });
      },

      DescribeEventBus: (raw: unknown) => {
        const name = this.busName(parseInput(busNameInput, raw).Name);
        const bus = this.ctx.state.buses.find((b) => b.name === name);
        if (!bus) throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        return compact({ Name: bus.name, Arn: bus.arn, Description: bus.description, CreationTime: epochSeconds(bus.created), LastModifiedTime: epochSeconds(bus.lastModified) });
      },

      DeleteEventBus: (raw: unknown) => {
        const name = this.busName(parseInput(busNameInput, raw).Name);
        if (name === 'default') throw new AwsError('ValidationException', 'Cannot delete event bus default.');
        this.ctx.state.buses = this.ctx.state.buses.filter((b) => b.name !== name);
        return {};
      },

      ListEventBuses: (raw: unknown) => {
        const input = parseInput(listEventBusesInput, raw);
        const matching = this.ctx.state.buses.filter((b) => !input.NamePrefix || b.name.startsWith(input.NamePrefix));
        const start = decodeNextToken(input.NextToken);
        const limit = input.Limit ?? 100;
        const page = matching.slice(start, start + limit);
        return compact({
          EventBuses: page.map((b) =>
            compact({ Name: b.name, Arn: b.arn, Description: b.description, CreationTime: epochSeconds(b.created), LastModifiedTime: epochSeconds(b.lastModified) }),
          ),
          NextToken: start + limit < matching.length ? encodeNextToken(start + limit) : undefined,
        });
      },
    };
  }
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import { AwsError } from '../../errors.ts';
import type { Scope } from '../../scopes.ts';
import type { BusRecord, EventLog, StoredEvent } from './event-store.ts';

export interface EventInput {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string | Date;
  EventBusName?: string;
}

/** Why an entry is refused, as PutEvents reports it per entry (or undefined when it is fine). */
export function entryError(entry: EventInput): { ErrorCode: string; ErrorMessage: string } | undefined {
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

/** The event buses of one account-region (the default bus always exists, as in every account). */
export class EventBuses {
  private readonly buses = new Map<string, BusRecord>();

  constructor(
    readonly scope: Scope,
    private readonly clock: Clock,
    private readonly log: EventLog,
  ) {
    for (const [name, record] of scope.store.attach('bus', () => this.buses.entries())) this.buses.set(name, record as BusRecord);
    if (!this.buses.has('default')) {
      const now = clock.now();
      this.buses.set('default', { name: 'default', arn: this.arnOf('default'), created: now, lastModified: now });
      this.changed('default');
    }
  }

  static of(scope: Scope, clock: Clock, log: EventLog): EventBuses {
    return scope.service('events', (s) => new EventBuses(s, clock, log));
  }

  arnOf(name: string): string {
    return `arn:aws:events:${this.scope.region}:${this.scope.account}:event-bus/${name}`;
  }

  /** A bus name from a name or an ARN. */
  static nameOf(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    const arn = /^arn:aws:events:[^:]+:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
    return arn ? arn[1]! : nameOrArn;
  }

  get(name: string): BusRecord | undefined {
    return this.buses.get(name);
  }

  list(): BusRecord[] {
    return [...this.buses.values()];
  }

  create(name: string, description: string | undefined): BusRecord {
    if (this.buses.has(name)) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    const now = this.clock.now();
    const bus: BusRecord = { name, arn: this.arnOf(name), description, created: now, lastModified: now };
    this.buses.set(name, bus);
    this.changed(name);
    return bus;
  }

  delete(name: string): void {
    if (this.buses.delete(name)) this.scope.store.delete('bus', name);
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }

  /** Puts events on buses of this account-region, as PutEvents does: valid entries are kept even when others fail. */
  async putEvents(entries: EventInput[]): Promise<{ FailedEntryCount: number; Entries: Array<Record<string, string>> }> {
    const accepted: StoredEvent[] = [];
    const results = entries.map((entry) => {
      const error = entryError(entry);
      if (error) return error;
      const id = randomUUID();
      const given = entry.Time instanceof Date ? entry.Time.getTime() : typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time === undefined ? NaN : Date.parse(entry.Time);
      const time = Number.isFinite(given) ? given : this.clock.now();
      accepted.push({
        version: '0',
        id,
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.scope.account,
        time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.scope.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail!),
        // AWS accepts events for a bus that does not exist (and drops them); keeping them under
        // that name lets a test see where a misnamed bus sent them.
        'event-bus-name': EventBuses.nameOf(entry.EventBusName),
      });
      return { EventId: id };
    });
    await this.log.append(this.scope, accepted);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private changed(name: string): void {
    this.scope.store.put('bus', name, () => this.buses.get(name));
  }
}

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from '../../storage/journal.ts';
import type { Scope } from '../../scopes.ts';

export interface BusRecord {
  name: string;
  arn: string;
  description?: string;
  created: number;
  lastModified: number;
}

/** An event as EventBridge delivers it to targets (and as the archive keeps it). */
export interface StoredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** The bus the event was put on; not part of EventBridge's envelope. */
  'event-bus-name': string;
}

export interface EventQuery {
  account?: string;
  region?: string;
  bus?: string;
  source?: string;
  detailType?: string;
  /** Only events after the one with this id. */
  after?: string;
  limit?: number;
}

export type EventListener = (events: readonly StoredEvent[]) => void;
/** Hands events just stored in an account-region to its rules; resolves once their deliveries are queued durably. */
export type EventRouter = (scope: Scope, events: readonly StoredEvent[]) => Promise<void>;

const fileName = (bus: string) => `${bus.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`;

/**
 * Every event put on any bus of any account-region, in arrival order: appended (group-committed,
 * fsynced) to `events/<bus>.jsonl` in its account-region's folder before PutEvents answers, and
 * held in memory to be read back through `/_local/events`. Listeners (rules and their targets)
 * see each batch once it is durable.
 */
export class EventLog {
  private readonly events: StoredEvent[] = [];
  private readonly journals = new Map<string, Journal>();
  private readonly listeners: EventListener[] = [];
  private router: EventRouter | undefined;
  private readonly folders = new Set<string>();

  /** Reads the events an account-region kept (at its first opening). */
  async load(scope: Scope): Promise<void> {
    const dir = join(scope.dir, 'events');
    let files: string[] = [];
    try {
      files = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const loaded: StoredEvent[] = [];
    for (const file of files.filter((f) => f.endsWith('.jsonl'))) {
      for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
        if (!line.trim()) continue;
        try {
          loaded.push(JSON.parse(line) as StoredEvent);
        } catch {
          // A line torn by a crash mid-append never reached its caller; skip it.
        }
      }
    }
    if (loaded.length === 0) return;
    this.events.push(...loaded);
    this.events.sort((a, b) => a.time.localeCompare(b.time));
  }

  subscribe(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /**
   * Sets where stored events go next (EventBridge rules and their targets). Unlike a listener, the
   * router is awaited: an append resolves only once the events' deliveries are queued durably, so
   * PutEvents answers only what a crash cannot lose.
   */
  route(router: EventRouter): void {
    this.router = router;
  }

  /** Appends events of one account-region; resolves once they are on disk and routed. */
  async append(scope: Scope, events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const byBus = new Map<string, string>();
    for (const event of events) byBus.set(event['event-bus-name'], (byBus.get(event['event-bus-name']) ?? '') + `${JSON.stringify(event)}\n`);
    const folder = join(scope.dir, 'events');
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true, mode: 0o711 });
      this.folders.add(folder);
    }
    await Promise.all([...byBus].map(([bus, lines]) => this.journal(scope, bus).append(lines)));
    this.events.push(...events);
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (err) {
        console.error(`[local-cloud] event listener failed: ${(err as Error).message}`);
      }
    }
    await this.router?.(scope, events);
  }

  query(filter: EventQuery): StoredEvent[] {
    const afterIndex = filter.after ? this.events.findIndex((e) => e.id === filter.after) : -1;
    const matching = this.events
      .slice(afterIndex + 1)
      .filter(
        (e) =>
          (filter.account === undefined || e.account === filter.account) &&
          (filter.region === undefined || e.region === filter.region) &&
          (filter.bus === undefined || e['event-bus-name'] === filter.bus) &&
          (filter.source === undefined || e.source === filter.source) &&
          (filter.detailType === undefined || e['detail-type'] === filter.detailType),
      );
    return filter.limit ? matching.slice(0, filter.limit) : matching;
  }

  async close(): Promise<void> {
    for (const journal of this.journals.values()) await journal.close();
    this.journals.clear();
  }

  private journal(scope: Scope, bus: string): Journal {
    const path = join(scope.dir, 'events', fileName(bus));
    let journal = this.journals.get(path);
    if (!journal) this.journals.set(path, (journal = new Journal(path)));
    return journal;
  }
}

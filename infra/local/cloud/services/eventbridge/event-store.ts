import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

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

/**
 * Every event put on any bus, in order: appended to one JSON-lines file per bus so nothing is lost
 * across a restart, and held in memory to be read back by tests and the CLI.
 */
export class EventStore {
  private readonly events: StoredEvent[] = [];
  private appending: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  private fileFor(bus: string): string {
    return join(this.dir, `${bus.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
  }

  async load(busNames: string[]): Promise<void> {
    for (const bus of busNames) {
      let text = '';
      try {
        text = await readFile(this.fileFor(bus), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          this.events.push(JSON.parse(line) as StoredEvent);
        } catch {
          // A line torn by a crash mid-append is the only thing that can fail here; skip it.
        }
      }
    }
    this.events.sort((a, b) => a.time.localeCompare(b.time));
  }

  /** Appends in order; resolves once the events are on disk. */
  append(events: StoredEvent[]): Promise<void> {
    this.events.push(...events);
    const byBus = new Map<string, string>();
    for (const event of events) byBus.set(event['event-bus-name'], (byBus.get(event['event-bus-name']) ?? '') + `${JSON.stringify(event)}\n`);
    // A failed write (a full disk) fails its own callers, not every later append.
    this.appending = this.appending.catch(() => undefined).then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o711 });
      for (const [bus, lines] of byBus) await appendFile(this.fileFor(bus), lines, { mode: 0o600 });
    });
    return this.appending;
  }

  query(filter: { bus?: string; source?: string; detailType?: string; after?: string; limit?: number }): StoredEvent[] {
    const afterIndex = filter.after ? this.events.findIndex((e) => e.id === filter.after) : -1;
    const matching = this.events
      .slice(afterIndex + 1)
      .filter(
        (e) =>
          (filter.bus === undefined || e['event-bus-name'] === filter.bus) &&
          (filter.source === undefined || e.source === filter.source) &&
          (filter.detailType === undefined || e['detail-type'] === filter.detailType),
      );
    return filter.limit ? matching.slice(0, filter.limit) : matching;
  }
}

import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from './journal.ts';

/**
 * Durable keyed records of one partition (an account-region, an account's IAM, or the cloud itself),
 * stored so that a write costs only what changed:
 *
 *   <dir>/snapshot-<g>.jsonl   every live record as `[collection, key, value]`, one per line
 *   <dir>/journal-<h>.jsonl    one line per group commit: `[[collection, key, value | null], ...]`
 *
 * Loading reads the newest snapshot and replays the journals written after it (h > g); a batch
 * line torn by a crash is ignored, so a commit is all or nothing. A commit is one appended line
 * and one fdatasync shared by every request waiting. When the journal outgrows the snapshot (and
 * at every start), a new snapshot is written beside it, made current by an atomic rename, and the
 * journals it covers are deleted.
 *
 * Values are produced when the commit is written, not when the change is staged, so a record
 * changed twice before a write goes out is written once, in its latest state.
 */
type Producer = () => unknown;
interface StagedOp {
  collection: string;
  key: string;
  value: Producer | null;
}

const SNAPSHOT = /^snapshot-(\d+)\.jsonl$/;
const JOURNAL = /^journal-(\d+)\.jsonl$/;
/** The journal is folded into a new snapshot once it is larger than this and than the snapshot. */
const MIN_COMPACTION_BYTES = 4 * 1024 * 1024;
/** Snapshot writes go out in chunks this size, so building one never holds up requests for long. */
const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

export class RecordStore {
  private readonly loaded = new Map<string, Map<string, unknown>>();
  private readonly sources = new Map<string, () => Iterable<[string, unknown]>>();
  private staged = new Map<string, StagedOp>();
  private seq = 0;
  private durableSeq = 0;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private writing: Promise<void> | undefined;
  private compacting: Promise<void> | undefined;
  private journal!: Journal;
  private journalGeneration = 1;
  private snapshotBytes = 0;
  private closed = false;

  private constructor(readonly dir: string) {}

  /** Opens (or creates) the store in `dir`, folding any journal into a fresh snapshot. */
  static async open(dir: string): Promise<RecordStore> {
    const store = new RecordStore(dir);
    await store.load();
    return store;
  }

  /**
   * Hands the loaded records of `collection` to the code that owns them, and tells the store where
   * to read that collection's live records when it writes a snapshot.
   */
  attach(collection: string, source: () => Iterable<[string, unknown]>): Map<string, unknown> {
    const records = this.loaded.get(collection) ?? new Map<string, unknown>();
    this.loaded.delete(collection);
    this.sources.set(collection, source);
    return records;
  }

  /** Stages a record; `value` is read when the commit is written. */
  put(collection: string, key: string, value: Producer): void {
    this.stage({ collection, key, value });
  }

  delete(collection: string, key: string): void {
    this.stage({ collection, key, value: null });
  }

  /** Resolves once everything staged before the call is on disk. */
  commit(): Promise<void> {
    const target = this.seq;
    if (this.durableSeq >= target) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`record store ${this.dir} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq: target, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Writes what is staged, waits for a compaction in progress, and closes the journal. */
  async close(): Promise<void> {
    if (this.staged.size > 0) await this.commit().catch(() => undefined);
    while (this.writing) await this.writing;
    while (this.compacting) await this.compacting;
    this.closed = true;
    await this.journal.close();
  }

  /** Folds the journal into a new snapshot now (normally it happens by itself). */
  async compact(): Promise<void> {
    while (this.compacting) await this.compacting;
    this.compacting = this.writeSnapshot().finally(() => (this.compacting = undefined));
    await this.compacting;
  }

  get journalBytes(): number {
    return this.journal.size;
  }

  private stage(op: StagedOp): void {
    this.staged.set(`${op.collection}\u0000${op.key}`, op);
    this.seq += 1;
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.staged.size > 0) {
        const upTo = this.seq;
        const batch = this.staged;
        this.staged = new Map();
        let line: string;
        try {
          const ops: Array<[string, string, unknown]> = [];
          for (const op of batch.values()) ops.push([op.collection, op.key, op.value ? (op.value() ?? null) : null]);
          line = `${JSON.stringify(ops)}\n`;
          await this.journal.append(line);
        } catch (err) {
          // Keep the changes for the next commit (newer staged versions win) and fail everyone
          // waiting now: none of them can be told their change is durable.
          for (const [key, op] of batch) if (!this.staged.has(key)) this.staged.set(key, op);
          const failed = this.waiters;
          this.waiters = [];
          for (const w of failed) w.reject(err as Error);
          return;
        }
        this.durableSeq = upTo;
        const still: typeof this.waiters = [];
        for (const w of this.waiters) {
          if (w.seq <= upTo) w.resolve();
          else still.push(w);
        }
        this.waiters = still;
        if (!this.compacting && this.journal.size > Math.max(MIN_COMPACTION_BYTES, this.snapshotBytes)) {
          void this.compact().catch((err: unknown) => console.error(`[local-cloud] compaction of ${this.dir} failed: ${(err as Error).message}`));
        }
      }
    } finally {
      this.writing = undefined;
      // A commit that arrived after the loop's last check would otherwise wait forever.
      if (this.staged.size > 0 && this.waiters.length > 0) this.writing = this.writeLoop();
    }
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o711 });
    const files = await readdir(this.dir);
    for (const f of files) if (f.endsWith('.tmp')) await rm(join(this.dir, f), { force: true });
    const snapshots = files.flatMap((f) => (SNAPSHOT.exec(f) ? [Number(SNAPSHOT.exec(f)![1])] : [])).sort((a, b) => a - b);
    const journals = files.flatMap((f) => (JOURNAL.exec(f) ? [Number(JOURNAL.exec(f)![1])] : [])).sort((a, b) => a - b);
    const snapshotGeneration = snapshots.at(-1) ?? 0;
    if (snapshots.length > 0) await this.readSnapshot(join(this.dir, `snapshot-${snapshotGeneration}.jsonl`));
    const replay = journals.filter((g) => g > snapshotGeneration);
    for (const generation of replay) await this.replayJournal(join(this.dir, `journal-${generation}.jsonl`));

    const newest = Math.max(snapshotGeneration, ...journals);
    this.journalGeneration = newest + 1;
    this.journal = new Journal(this.journalPath(this.journalGeneration));
    if (replay.length > 0 || journals.length > 0 || snapshots.length > 1) {
      // Start from a snapshot of what was just read: no journal to replay next time.
      await this.writeSnapshotFile(newest, this.loadedEntries());
      await this.removeCoveredFiles(newest);
    }
  }

  private *loadedEntries(): Generator<[string, string, unknown]> {
    for (const [collection, records] of this.loaded) for (const [key, value] of records) yield [collection, key, value];
  }

  private *liveEntries(): Generator<[string, string, unknown]> {
    for (const [collection, source] of this.sources) for (const [key, value] of source()) yield [collection, key, value];
    yield* this.loadedEntries();
  }

  private apply(collection: string, key: string, value: unknown): void {
    let records = this.loaded.get(collection);
    if (!records) this.loaded.set(collection, (records = new Map()));
    if (value === null || value === undefined) records.delete(key);
    else records.set(key, value);
  }

  private async readSnapshot(path: string): Promise<void> {
    const text = await readFile(path, 'utf8');
    this.snapshotBytes = Buffer.byteLength(text);
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [collection, key, value] = JSON.parse(line) as [string, string, unknown];
      this.apply(collection, key, value);
    }
  }

  private async replayJournal(path: string): Promise<void> {
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      if (!line) return;
      let ops: Array<[string, string, unknown]>;
      try {
        ops = JSON.parse(line) as Array<[string, string, unknown]>;
      } catch {
        // A commit cut short by a crash (or a failed write) never reached its caller: drop it whole.
        if (index < lines.length - 1 && lines.slice(index + 1).some(Boolean)) {
          console.error(`[local-cloud] skipped a torn commit in the middle of ${path}`);
        }
        return;
      }
      for (const [collection, key, value] of ops) this.apply(collection, key, value);
    });
  }

  private journalPath(generation: number): string {
    return join(this.dir, `journal-${generation}.jsonl`);
  }

  private async writeSnapshot(): Promise<void> {
    // New commits go to the next journal from here on; the snapshot covers this one and older.
    const covered = this.journalGeneration;
    const previous = this.journal;
    this.journalGeneration += 1;
    this.journal = new Journal(this.journalPath(this.journalGeneration));
    await previous.close();
    await this.writeSnapshotFile(covered, this.liveEntries());
    await this.removeCoveredFiles(covered);
  }

  private async writeSnapshotFile(generation: number, entries: Iterable<[string, string, unknown]>): Promise<void> {
    const path = join(this.dir, `snapshot-${generation}.jsonl`);
    const temp = `${path}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    let bytes = 0;
    try {
      let chunk = '';
      for (const entry of entries) {
        chunk += `${JSON.stringify(entry)}\n`;
        if (chunk.length >= SNAPSHOT_CHUNK_BYTES) {
          bytes += Buffer.byteLength(chunk);
          await handle.write(chunk);
          chunk = '';
        }
      }
      bytes += Buffer.byteLength(chunk);
      if (chunk) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDirectory(this.dir);
    this.snapshotBytes = bytes;
  }

  private async removeCoveredFiles(generation: number): Promise<void> {
    for (const f of await readdir(this.dir)) {
      const snapshot = SNAPSHOT.exec(f);
      const journal = JOURNAL.exec(f);
      if ((snapshot && Number(snapshot[1]) < generation) || (journal && Number(journal[1]) <= generation)) {
        await rm(join(this.dir, f), { force: true });
      }
    }
  }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

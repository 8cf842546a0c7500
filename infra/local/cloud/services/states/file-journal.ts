import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Journal } from './model.ts';

/**
 * A journal in one JSON-lines file. Appends are group-committed: every record appended while a
 * write is in flight goes out in the next write, with one fsync for all of them, and each caller
 * resolves once its records are on disk. A crash can only tear the last line (never acknowledged):
 * `load` cuts it off so later appends start on a clean line.
 */
export class FileJournal<R> implements Journal<R> {
  private handle: FileHandle | undefined;
  private pending: Array<{ lines: string; resolve: () => void; reject: (err: Error) => void }> = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  async load(): Promise<R[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) await truncate(this.path, Buffer.byteLength(text.slice(0, complete)));
    const records: R[] = [];
    for (const [index, line] of text.slice(0, complete).split('\n').entries()) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as R);
      } catch {
        throw new Error(`journal ${this.path} has a damaged record on line ${index + 1}; move the file aside to start without it`);
      }
    }
    return records;
  }

  append(...records: R[]): Promise<void> {
    if (!records.length) return Promise.resolve();
    const lines = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    const written = new Promise<void>((resolve, reject) => this.pending.push({ lines, resolve, reject }));
    this.kick();
    return written;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    });
  }

  /** Replaces the whole journal (compaction) atomically: a crash leaves the old file or the new one. */
  async rewrite(records: R[]): Promise<void> {
    await this.flushing;
    await this.close();
    const temp = `${this.path}.${process.pid}.tmp`;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o711 });
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
  }

  async close(): Promise<void> {
    await this.flushing;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      try {
        if (!this.handle) {
          await mkdir(dirname(this.path), { recursive: true, mode: 0o711 });
          this.handle = await open(this.path, 'a', 0o600);
        }
        await this.handle.appendFile(batch.map((b) => b.lines).join(''));
        await this.handle.datasync();
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err as Error);
      }
    }
  }
}

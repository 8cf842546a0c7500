import { open, type FileHandle } from 'node:fs/promises';

/**
 * An append-only file whose appends are group-committed: every line handed in while a write is on
 * its way goes out in the next single write + fdatasync, and each caller's promise resolves once
 * its line is durable. One fsync serves every request waiting, which is what lets many concurrent
 * writes each be durable before their answer without paying one fsync apiece.
 */
export class Journal {
  private handle: FileHandle | undefined;
  private pending: string[] = [];
  private pendingWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private flushing: Promise<void> | undefined;
  private bytes = 0;
  /** A failed write may have left part of a line behind: the next write starts on a fresh line. */
  private tornTail = false;

  constructor(
    readonly path: string,
    initialBytes = 0,
  ) {
    this.bytes = initialBytes;
  }

  /** Bytes in the file, including lines not yet flushed. */
  get size(): number {
    return this.bytes;
  }

  /** Queues `text` (one or more whole lines, each ending in "\n"); resolves once it is on disk. */
  append(text: string): Promise<void> {
    this.bytes += Buffer.byteLength(text);
    this.pending.push(text);
    const done = new Promise<void>((resolve, reject) => this.pendingWaiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Resolves when every line appended so far is on disk (or its write failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const text = (this.tornTail ? '\n' : '') + this.pending.join('');
        const waiters = this.pendingWaiters;
        this.pending = [];
        this.pendingWaiters = [];
        try {
          // Owner-only: journals hold secret values, as the real service's storage does.
          this.handle ??= await open(this.path, 'a', 0o600);
          await this.handle.write(text);
          await this.handle.datasync();
          this.tornTail = false;
          for (const w of waiters) w.resolve();
        } catch (err) {
          // A failed write (a full disk) fails the requests it carried, never later ones; the
          // handle is reopened next time in case the failure left it unusable.
          this.tornTail = true;
          const handle = this.handle;
          this.handle = undefined;
          await handle?.close().catch(() => undefined);
          for (const w of waiters) w.reject(err as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

import { mkdir, open, rename, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A JSON document on disk, replaced atomically (write a temporary file, fsync, rename) so a crash
 * leaves either the old state or the new one, never a torn file. Concurrent saves coalesce: a
 * save requested while one is being written is folded into the next write, and every caller's
 * promise resolves once a write that includes its change is on disk.
 */
export class StateFile<T> {
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => T,
  ) {}

  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`state file ${this.path} is not valid JSON; move it aside to start with empty state`);
    }
  }

  save(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    const after = this.writing;
    this.queued = after
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.save();
      });
    return this.queued;
  }

  private async write(): Promise<void> {
    // Traversable but not listable: the demo PostgreSQL runs as another user inside it; files are 0600.
    await mkdir(dirname(this.path), { recursive: true, mode: 0o711 });
    const temp = `${this.path}.${process.pid}.tmp`;
    // Secret values live in this file, as they do in the real service's storage: owner-only.
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(this.snapshot()));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
  }
}

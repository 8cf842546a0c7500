import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordStore } from '../../infra/local/cloud/storage/record-store.ts';
import { tempStateDir } from '../support/cloud-process.ts';

/** A store's records as the code that owns them holds them: a Map, attached as the snapshot source. */
async function open(dir: string) {
  const store = await RecordStore.open(dir);
  const records = store.attach('thing', () => records.entries());
  const put = (key: string, value: unknown) => {
    records.set(key, value);
    store.put('thing', key, () => records.get(key));
  };
  const remove = (key: string) => {
    records.delete(key);
    store.delete('thing', key);
  };
  return { store, records, put, remove };
}

describe('the record store', () => {
  it('gives back after reopening exactly what was committed, deletions included', async () => {
    const dir = await tempStateDir('records');
    const first = await open(dir);
    first.put('a', { n: 1 });
    first.put('b', { n: 2 });
    await first.store.commit();
    first.put('a', { n: 3 });
    first.remove('b');
    await first.store.commit();
    // No close: what a crash leaves behind.
    const second = await open(dir);
    expect(Object.fromEntries(second.records)).toEqual({ a: { n: 3 } });
    await second.store.close();
    await first.store.close();
  });

  it('writes a record changed twice before its commit once, in its latest state', async () => {
    const dir = await tempStateDir('records');
    const { store, put } = await open(dir);
    put('a', { n: 1 });
    put('a', { n: 2 });
    await store.commit();
    const journal = (await readdir(dir)).find((f) => f.startsWith('journal-'))!;
    const lines = (await readFile(join(dir, journal), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([[['thing', 'a', { n: 2 }]]]);
    await store.close();
  });

  it('groups the commits of concurrent callers into fewer writes, each durable when it resolves', async () => {
    const dir = await tempStateDir('records');
    const { store, put } = await open(dir);
    const commits = Array.from({ length: 50 }, (_, i) => {
      put(`k${i}`, { i });
      return store.commit();
    });
    await Promise.all(commits);
    const journal = (await readdir(dir)).find((f) => f.startsWith('journal-'))!;
    const lines = (await readFile(join(dir, journal), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(50);
    expect(lines.flatMap((l) => JSON.parse(l) as unknown[])).toHaveLength(50);
    await store.close();
  });

  it('ignores a commit torn by a crash at the end of the journal', async () => {
    const dir = await tempStateDir('records');
    const first = await open(dir);
    first.put('kept', { ok: true });
    await first.store.commit();
    const journal = (await readdir(dir)).find((f) => f.startsWith('journal-'))!;
    await appendFile(join(dir, journal), '[["thing","torn",{"ok":tr');
    const second = await open(dir);
    expect(Object.fromEntries(second.records)).toEqual({ kept: { ok: true } });
    await second.store.close();
    await first.store.close();
  });

  it('folds the journal into a snapshot at every start, and on demand, losing nothing', async () => {
    const dir = await tempStateDir('records');
    const first = await open(dir);
    for (let i = 0; i < 100; i++) first.put(`k${i}`, { i });
    await first.store.commit();
    await first.store.compact();
    first.put('after', { late: true });
    first.remove('k0');
    await first.store.commit();
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith('snapshot-'))).toHaveLength(1);
    const second = await open(dir);
    expect(second.records.size).toBe(100);
    expect(second.records.get('after')).toEqual({ late: true });
    expect(second.records.has('k0')).toBe(false);
    // the start folded the journal in: one snapshot, no journal left to replay
    const after = await readdir(dir);
    expect(after.filter((f) => f.startsWith('journal-'))).toEqual([]);
    await second.store.close();
    await first.store.close();
  });

  it('keeps its files private to their owner', async () => {
    const dir = await tempStateDir('records');
    const { store, put } = await open(dir);
    put('secret', { value: 'x' });
    await store.commit();
    for (const f of await readdir(dir)) expect((await stat(join(dir, f))).mode & 0o077).toBe(0);
    await store.close();
  });
});

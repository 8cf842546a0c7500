import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileJournal } from '../../infra/local/cloud/services/states/file-journal.ts';

const dirs: string[] = [];
async function journalPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  dirs.push(dir);
  return join(dir, 'sub', 'journal.jsonl');
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('the file journal', () => {
  it('keeps appended records in call order across a reopen, also when appends overlap', async () => {
    const path = await journalPath();
    const journal = new FileJournal<{ n: number }>(path);
    await Promise.all(Array.from({ length: 50 }, (_, n) => journal.append({ n })));
    await journal.append({ n: 50 }, { n: 51 });
    await journal.close();
    const reopened = await new FileJournal<{ n: number }>(path).load();
    expect(reopened.map((r) => r.n)).toEqual(Array.from({ length: 52 }, (_, n) => n));
  });

  it('cuts off a line torn by a crash, so the next append starts on a clean line', async () => {
    const path = await journalPath();
    const journal = new FileJournal<{ n: number }>(path);
    await journal.append({ n: 1 });
    await journal.close();
    await appendFile(path, '{"n":2, "tor');
    const again = new FileJournal<{ n: number }>(path);
    expect(await again.load()).toEqual([{ n: 1 }]);
    await again.append({ n: 3 });
    await again.close();
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":3}\n');
  });

  it('refuses to start on a damaged record in the middle rather than dropping what follows', async () => {
    const path = await journalPath();
    const journal = new FileJournal<{ n: number }>(path);
    await journal.append({ n: 1 });
    await journal.close();
    await appendFile(path, 'garbage\n{"n":2}\n');
    await expect(new FileJournal(path).load()).rejects.toThrow(/damaged record on line 2/);
  });

  it('replaces its content atomically when rewritten', async () => {
    const path = await journalPath();
    const journal = new FileJournal<{ n: number }>(path);
    await journal.append({ n: 1 }, { n: 2 });
    await journal.rewrite([{ n: 9 }]);
    await journal.append({ n: 10 });
    await journal.close();
    expect(await new FileJournal<{ n: number }>(path).load()).toEqual([{ n: 9 }, { n: 10 }]);
  });
});

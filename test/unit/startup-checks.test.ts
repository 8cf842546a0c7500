import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPortsFree, demoToken, portSetting, prepareStateDir } from '../../infra/local/startup-checks.ts';

describe('what npm start checks before it starts anything', () => {
  it('names the setting that moves a taken port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(checkPortsFree([{ port, setting: 'DEMO_POSTGRES_PORT', what: 'demo PostgreSQL' }])).rejects.toThrow(
        new RegExp(`port ${port} for the demo PostgreSQL is taken .*set DEMO_POSTGRES_PORT to a free port`),
      );
    } finally {
      server.close();
    }
    await expect(checkPortsFree([{ port, setting: 'PORT', what: 'REST API' }])).resolves.toBeUndefined();
  });

  it('refuses a port setting that is not a port, naming it', () => {
    expect(portSetting('PORT', undefined, 3000)).toBe(3000);
    expect(portSetting('PORT', '0', 3000)).toBe(0);
    expect(() => portSetting('LOCAL_CLOUD_PORT', 'abc', 4566)).toThrow(/LOCAL_CLOUD_PORT must be a port number/);
    expect(() => portSetting('PORT', '70000', 3000)).toThrow(/PORT must be a port number/);
  });

  it.runIf(process.getuid?.() === 0)('makes a 0700 folder of its own (mktemp -d) passable for the postgres user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcp-state-'));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await prepareStateDir(dir);
    expect((await stat(dir)).mode & 0o011).toBe(0o011);
  });

  it('keeps the demo token across restarts, and replaces a damaged one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcp-token-'));
    const first = await demoToken(dir);
    expect(await demoToken(dir)).toBe(first);
    expect((await stat(join(dir, 'demo-token'))).mode & 0o077).toBe(0);
    await writeFile(join(dir, 'demo-token'), 'x\n');
    expect(await demoToken(dir)).toMatch(/^[0-9a-f]{32}$/);
  });
});

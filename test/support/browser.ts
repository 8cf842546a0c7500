import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from './cloud-process.ts';

/** Debian's chromium (scripts/setup-machine.sh installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests write each main view's screenshot for a reviewer (gitignored). */
export const SCREENSHOTS = join(PROJECT_ROOT, '.test-tmp/screenshots');

// Headless, and quiet: without these chromium keeps trying to reach Google's servers.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  /** A fresh page in a browser profile of its own (no cookies or storage shared with another). */
  page(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const contexts: { context: BrowserContext; dir: string }[] = [];
  return {
    async page() {
      const dir = await mkdtemp(join(tmpdir(), 'rcp-chromium-'));
      const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1440, height: 1000 } });
      contexts.push({ context, dir });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(20_000);
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const { context, dir } of contexts) {
        await context.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

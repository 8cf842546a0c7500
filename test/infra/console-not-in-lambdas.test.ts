import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../infra/aws/lib/lambda-bundle.ts';
import { HANDLERS } from '../../infra/local/deploy/handlers.ts';

// The web console is static files for a browser: no Lambda may carry any of it (or React, or
// Cloudscape), or every cold start would pay for it.
const CONSOLE_INPUT = /(^|\/)services\/console\/|node_modules\/(react|react-dom|react-router|react-router-dom|@cloudscape-design|@tanstack|sirv|vite)\//;
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the console adds nothing to a Lambda bundle', () => {
  it.each(Object.keys(HANDLERS))('%s', (entry) => {
    const dir = mkdtempSync(join(tmpdir(), 'rcp-bundle-check-'));
    dirs.push(dir);
    const inputs = Object.keys(bundleLambda(entry, dir).inputs);
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((input) => CONSOLE_INPUT.test(input))).toEqual([]);
  }, 120_000);
});

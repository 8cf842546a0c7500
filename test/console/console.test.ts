import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../infra/local/console-files.ts';
import { startBrowser, type Browser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startLocalStack, TOKENS, type LocalStack } from '../support/local-stack.ts';

// The console in a real browser against `npm start`'s whole stack: every number and message the
// page shows is checked against what the REST API answers for the same caller.
let stack: LocalStack;
let browser: Browser;
let page: Page;
let demoArn: string;
const AUDITOR = 'token-of-auditor-0003';
/** Waits for what the page shows to settle on the expected value (the API answers in its own time on a busy machine). */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });

interface Summary {
  compliantPercent: number;
  totals: { secrets: number; compliant: number; nonCompliant: number };
  byAccount: { key: string; secrets: number; nonCompliant: number }[];
  byTeam: unknown[];
}

async function api<T = Record<string, unknown>>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function signIn(target: Page, token: string, path: string): Promise<number> {
  const started = Date.now();
  await target.goto(`${stack.apiUrl}${path}`);
  await target.getByLabel('Team token').fill(token);
  await target.keyboard.press('Enter'); // keyboard only: the form submits on Enter
  await target.waitForURL(`**${path}`);
  return Date.now() - started;
}

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'console', env: { RCP_TOKENS: `team-a:${TOKENS.a},team-b:${TOKENS.b},auditor:${AUDITOR}`, RCP_AUDITOR_TEAMS: 'auditor' } });
  browser = await startBrowser();
  page = await browser.page();
  const secrets = await api<{ items: { name: string; secretArn: string }[] }>(TOKENS.a, 'GET', '/v1/secrets');
  demoArn = secrets.body.items.find((s) => s.name === 'demo/postgres')!.secretArn;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the web console', () => {
  it('is served at the API address: deep links get the page, npm start prints its URL', async () => {
    expect(stack.output()).toContain(`web console on ${stack.apiUrl}/`);
    const deep = await fetch(`${stack.apiUrl}/secrets/some%2Fsecret`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    expect(await deep.text()).toContain('<div id="root">');
    // The API's own paths are never the console's: an unknown one is still the API's problem.
    const unknown = await fetch(`${stack.apiUrl}/v1/no-such-path`, { headers: { authorization: `Bearer ${TOKENS.a}` } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
  });

  it('asks for the team token first, and refuses an unknown one with the API\'s problem', async () => {
    await page.goto(`${stack.apiUrl}/secrets`);
    await page.waitForURL('**/sign-in?next=%2Fsecrets');
    await browser.screenshot(page, '01-sign-in');
    await page.getByLabel('Team token').fill('not-a-token');
    await page.keyboard.press('Enter');
    const refused = await api('not-a-token', 'GET', '/v1/service-types');
    expect(refused.status).toBe(401);
    await poll(() => page.getByTestId('problem-detail').first().textContent()).toBe(refused.body.detail);
  });

  it('signs in and lists no onboarded secret yet', async () => {
    const ms = await signIn(page, TOKENS.a, '/secrets');
    console.log(`[console] sign-in to My secrets shown: ${ms} ms`);
    await poll(() => page.getByText('No onboarded secrets').count()).toBe(1);
    await browser.screenshot(page, '02-my-secrets-empty');
  });

  it('the dashboard shows the numbers of the API summary, for the team only', async () => {
    const started = await api<{ evaluationId: string }>(TOKENS.a, 'POST', '/v1/compliance/evaluations');
    expect(started.status).toBe(202);
    await eventually(
      'the compliance evaluation to finish',
      async () => ((await api<{ status: string }>(TOKENS.a, 'GET', `/v1/compliance/evaluations/${started.body.evaluationId}`)).body.status === 'succeeded' ? true : undefined),
      60_000,
      200,
    );
    const summary = (await api<Summary>(TOKENS.a, 'GET', '/v1/compliance/summary')).body;
    expect(summary.totals.secrets).toBeGreaterThan(0);

    // First load in a fresh browser profile (nothing cached) until the summary is on screen.
    const fresh = await browser.page();
    const dashboardStart = Date.now();
    const ms = await signIn(fresh, TOKENS.a, '/compliance');
    await fresh.getByTestId('compliant-percent').waitFor();
    console.log(`[console] first load to dashboard shown (empty cache, sign-in included): ${Date.now() - dashboardStart} ms (page and sign-in ${ms} ms)`);
    expect(await fresh.getByTestId('compliant-percent').textContent()).toBe(`${Math.round(summary.compliantPercent * 10) / 10}%`);
    expect(Number(await fresh.getByTestId('total-secrets').textContent())).toBe(summary.totals.secrets);
    expect(Number(await fresh.getByTestId('total-compliant').textContent())).toBe(summary.totals.compliant);
    expect(Number(await fresh.getByTestId('total-non-compliant').textContent())).toBe(summary.totals.nonCompliant);
    for (const account of summary.byAccount) {
      await fresh.getByTestId('by-account').getByRole('row', { name: new RegExp(`^${account.key} ${account.secrets} ${account.nonCompliant} `) }).waitFor();
    }
    expect(await fresh.getByTestId('by-team').getByRole('row').count()).toBe(summary.byTeam.length + 1);
    await browser.screenshot(fresh, '03-compliance-dashboard');

    // A filter change (rule) refetches the findings: as many rows as the API gives for that filter.
    const findings = (await api<{ items: unknown[] }>(TOKENS.a, 'GET', '/v1/compliance/findings?rule=rotation-enabled&limit=100')).body.items;
    const changed = Date.now();
    await fresh.getByRole('button', { name: /^Rule Rule/ }).click();
    await fresh.getByRole('option', { name: 'rotation-enabled', exact: true }).click();
    await fresh.waitForURL('**/compliance?rule=rotation-enabled');
    await poll(() => fresh.getByRole('heading', { name: /^Findings/ }).textContent()).toBe(`Findings (${findings.length})`);
    console.log(`[console] filter change (rule) to findings shown: ${Date.now() - changed} ms`);

    // The export is the API's CSV for the same filter.
    const download = fresh.waitForEvent('download');
    await fresh.getByRole('button', { name: 'Export CSV' }).click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    const expected = await (await fetch(`${stack.apiUrl}/v1/compliance/export?format=csv&rule=rotation-enabled`, { headers: { authorization: `Bearer ${TOKENS.a}` } })).text();
    expect(csv).toBe(expected);

    // An auditor sees the organisation: every team's secrets.
    const auditor = await browser.page();
    await signIn(auditor, AUDITOR, '/compliance');
    const org = (await api<Summary>(AUDITOR, 'GET', '/v1/compliance/summary')).body;
    await auditor.getByTestId('total-secrets').waitFor();
    expect(Number(await auditor.getByTestId('total-secrets').textContent())).toBe(org.totals.secrets);
    expect(org.totals.secrets).toBeGreaterThanOrEqual(summary.totals.secrets);
    await auditor.getByTestId('by-team').getByRole('row', { name: /^team-a / }).waitFor();

    // Another team sees only its own (none here), not team a's.
    const other = await browser.page();
    await signIn(other, TOKENS.b, '/compliance');
    const theirs = (await api<Summary>(TOKENS.b, 'GET', '/v1/compliance/summary')).body;
    await other.getByTestId('total-secrets').waitFor();
    expect(Number(await other.getByTestId('total-secrets').textContent())).toBe(theirs.totals.secrets);
    expect(theirs.totals.secrets).toBe(0);
  });

  it('onboard from a finding opens the form with its secret chosen', async () => {
    await page.goto(`${stack.apiUrl}/compliance?rule=rotation-enabled&state=NON_COMPLIANT`);
    await page.getByRole('button', { name: 'Onboard demo/postgres' }).click();
    await page.waitForURL('**/onboard?secret=*');
    expect(new URL(page.url()).searchParams.get('secret')).toBe(demoArn);
    await page.getByText('000000000000', { exact: true }).first().waitFor();
  });

  it('a bad schedule shows the API\'s own message as you type, and a good one its next five windows', async () => {
    await page.goto(`${stack.apiUrl}/onboard`);
    await page.getByRole('button', { name: /^Secret Secret/ }).click();
    await page.getByRole('option', { name: /demo\/postgres/ }).click();
    await poll(() => new URL(page.url()).searchParams.get('secret')).toBe(demoArn);

    const bad = 'rotate every banana';
    const answer = await api<{ detail: string }>(TOKENS.a, 'POST', '/v1/schedules/preview', { schedule: bad });
    expect(answer.status).toBe(400);
    await page.getByLabel('Schedule', { exact: true }).fill(bad);
    await poll(() => page.getByText(answer.body.detail, { exact: true }).first().isVisible()).toBe(true);
    await browser.screenshot(page, '04-onboard-bad-schedule');

    await page.getByLabel('Schedule', { exact: true }).fill('rotate every 30 days');
    await page.getByLabel('Window length').fill('3h');
    const preview = await api<{ windows: { start: string }[] }>(TOKENS.a, 'POST', '/v1/schedules/preview', { schedule: 'rotate every 30 days', window: '3h', count: 5 });
    await poll(() => page.getByTestId('schedule-preview').locator('li').count()).toBe(5);
    expect(preview.body.windows).toHaveLength(5);
  });

  it('onboards the demo secret through the form and watches the workflow succeed', async () => {
    await page.getByRole('button', { name: 'Onboard', exact: true }).click();
    await page.waitForURL('**/onboardings/onb-*');
    const onboardingId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByText('Onboarded: the secret rotates automatically').waitFor({ timeout: 90_000 });
    const onboarding = await api<{ status: string; steps: unknown[] }>(TOKENS.a, 'GET', `/v1/onboardings/${onboardingId}`);
    expect(onboarding.body.status).toBe('succeeded');
    // Every step the API recorded is a row of the steps table.
    await poll(() => page.locator('table').last().locator('tbody tr').count()).toBe(onboarding.body.steps.length);
    await browser.screenshot(page, '05-onboarding-succeeded');
  });

  it('My secrets shows the onboarded secret with its rotation state, and its page the rotation', async () => {
    await page.goto(`${stack.apiUrl}/secrets`);
    const row = page.getByRole('row', { name: /demo\/postgres/ });
    await row.waitFor();
    await poll(() => row.getByText('enabled').count()).toBe(1);
    await browser.screenshot(page, '06-my-secrets');
    await row.getByRole('link', { name: 'demo/postgres' }).click();
    await page.waitForURL(`**/secrets/${encodeURIComponent(demoArn)}`);
    const rotation = await api<{ rules: { ScheduleExpression: string } }>(TOKENS.a, 'GET', `/v1/secrets/${encodeURIComponent(demoArn)}/rotation`);
    await page.getByText(rotation.body.rules.ScheduleExpression, { exact: true }).waitFor();
    // The audit trail: the events the API lists for this secret (recorded as they arrive), the onboarding's among them.
    const events = await eventually(
      'the onboarding to be in the audit trail',
      async () => {
        const trail = await api<{ items: { detailType: string }[] }>(TOKENS.a, 'GET', `/v1/secrets/${encodeURIComponent(demoArn)}/events?limit=50`);
        return trail.body.items.some((e) => e.detailType === 'Onboarding Succeeded') ? trail.body.items : undefined;
      },
      30_000,
      250,
    );
    await page.reload();
    const trailRows = page.getByRole('table').last().locator('tbody tr');
    await poll(async () => (await trailRows.count()) >= events.length).toBe(true);
    await page.getByRole('cell', { name: 'Onboarding Succeeded', exact: true }).first().waitFor();
    await browser.screenshot(page, '07-secret');
  });

  it('a second team cannot see the first team\'s secrets, not even by a deep link', async () => {
    const other = await browser.page();
    await signIn(other, TOKENS.b, '/secrets');
    await other.getByText('No onboarded secrets').waitFor();
    await other.goto(`${stack.apiUrl}/onboard`);
    await other.getByRole('button', { name: /^Secret Secret/ }).click();
    await other.getByText(/Your team has no secrets/).waitFor();
    expect(await other.getByRole('option', { name: /demo\/postgres/ }).count()).toBe(0);

    // Team a's secret and one that does not exist get the same answer.
    const theirs = await api<{ status: number; title: string; detail: string }>(TOKENS.b, 'GET', `/v1/secrets/${encodeURIComponent(demoArn)}/rotation`);
    const missing = await api<{ status: number; title: string }>(TOKENS.b, 'GET', `/v1/secrets/${encodeURIComponent(demoArn.replace('demo/postgres', 'demo/nothing'))}/rotation`);
    expect([theirs.status, theirs.body.title]).toEqual([missing.status, missing.body.title]);
    await other.goto(`${stack.apiUrl}/secrets/${encodeURIComponent(demoArn)}`);
    await poll(() => other.getByTestId('problem-detail').first().textContent()).toBe(theirs.body.detail);
    await browser.screenshot(other, '08-other-team-deep-link');
  });

  it('offboards after a confirmation that says what it undoes', async () => {
    await page.goto(`${stack.apiUrl}/secrets`);
    await page.getByRole('row', { name: /demo\/postgres/ }).getByRole('radio').check();
    await page.getByRole('button', { name: 'Offboard', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Offboard demo\/postgres/ });
    await dialog.getByText(/cancels the secret's automatic rotation and removes the tags onboarding set/).waitFor();
    await browser.screenshot(page, '09-offboard-confirmation');
    await dialog.getByRole('button', { name: 'Offboard', exact: true }).click();
    await page.getByText('demo/postgres was offboarded').waitFor();
    const onboarded = await api<{ items: unknown[] }>(TOKENS.a, 'GET', '/v1/secrets?onboarded=true');
    expect(onboarded.body.items).toEqual([]);
    const rotation = await api<{ enabled: boolean }>(TOKENS.a, 'GET', `/v1/secrets/${encodeURIComponent(demoArn)}/rotation`);
    expect(rotation.body.enabled).toBe(false);
    await page.getByText('No onboarded secrets').waitFor();
  });

  it('bundle size (printed, not asserted)', async () => {
    const assets = join(CONSOLE_DIST, 'assets');
    const gzipped = async (file: string) => gzipSync(await readFile(join(assets, file)), { level: 9 }).length;
    const files = await readdir(assets);
    let raw = 0;
    let gzip = 0;
    for (const file of files) {
      raw += (await readFile(join(assets, file))).length;
      gzip += await gzipped(file);
    }
    // What the first page needs: the files index.html names (each view's own code loads when first shown).
    const index = await readFile(join(CONSOLE_DIST, 'index.html'), 'utf8');
    let first = 0;
    for (const file of files.filter((f) => index.includes(`/assets/${f}`))) first += await gzipped(file);
    console.log(`[console] bundle: ${(raw / 1024).toFixed(0)} KiB in ${files.length} files, ${(gzip / 1024).toFixed(0)} KiB gzip; first page ${(first / 1024).toFixed(0)} KiB gzip`);
    expect(first).toBeGreaterThan(0);
  });
});

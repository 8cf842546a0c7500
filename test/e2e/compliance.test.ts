import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { OpenAPIBackend } from 'openapi-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../services/api/app.ts';
import { admin, awsClients } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';
import { startLocalStack, type LocalStack } from '../support/local-stack.ts';

// `npm start`'s stack in its own process, with an auditor token and a policy that requires a cost-center tag
// (team-b is excused): secrets built to fail each rule, then read over HTTP as each caller would.
const TOKENS = { a: 'compliance-team-a-0001', b: 'compliance-team-b-0002', auditor: 'compliance-auditor-0003' };
const POLICY = { defaults: { requiredTagKeys: ['cost-center'] }, teams: { 'team-b': { requiredTagKeys: [] } } };
const FLEET = 'arn:aws:lambda:us-east-1:000000000000:function:fleet-rotator';
const DAY_S = 86_400;
const contract = new OpenAPIBackend({ definition: loadContract(), quick: true });
let stack: LocalStack;
const arns: Record<string, string> = {};

interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
  type: string;
}

/** One API call; a JSON response must match openapi.yaml for its operation and status. */
async function call(operationId: string, method: string, path: string, token: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  expect(response.status, `${method} ${path}: ${text.slice(0, 500)}`).toBeLessThan(500);
  if (response.status >= 400) expect(type).toBe('application/problem+json');
  const body = type.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (type.includes('json')) {
    const validation = contract.validateResponse(body, operationId, response.status);
    expect(validation.errors ?? [], `${method} ${path} ${response.status}`).toEqual([]);
  }
  return { status: response.status, body, text, type };
}

interface FindingView {
  findingId: string;
  secretArn: string;
  name: string;
  rule: string;
  state: string;
  reason: string;
  team?: string;
  lastFailure?: { step: string; errorClass?: string; reason: string };
}
const secretCompliance = async (token: string, secretId: string) => call('getSecretCompliance', 'GET', `/v1/compliance/secrets/${encodeURIComponent(secretId)}`, token);
const finding = async (token: string, secretId: string, rule: string) => ((await secretCompliance(token, secretId)).body.findings as FindingView[]).find((f) => f.rule === rule)!;

async function allFindings(token: string, query = ''): Promise<FindingView[]> {
  const items: FindingView[] = [];
  let next: string | undefined;
  do {
    const { body } = await call('listFindings', 'GET', `/v1/compliance/findings?limit=100${query}${next ? `&nextToken=${next}` : ''}`, token);
    items.push(...(body.items as FindingView[]));
    next = body.nextToken as string | undefined;
  } while (next);
  return items;
}

async function finishedEvaluation(token: string, id: string) {
  return eventually(
    `evaluation ${id} to finish`,
    async () => {
      const { body } = await call('getEvaluation', 'GET', `/v1/compliance/evaluations/${id}`, token);
      return body.status === 'running' ? undefined : body;
    },
    60_000,
    200,
  );
}

/** A full evaluation requested now; one already running (the hourly schedule, caught up after the clock moved) is waited out first. */
async function evaluateNow(token: string) {
  let started = await call('startEvaluation', 'POST', '/v1/compliance/evaluations', token);
  if (started.status === 409) {
    const running = /evaluations\/(ev-[a-z0-9-]+)/.exec(started.body.detail as string)![1]!;
    await finishedEvaluation(token, running);
    started = await call('startEvaluation', 'POST', '/v1/compliance/evaluations', token);
  }
  expect(started.status).toBe(202);
  return finishedEvaluation(token, started.body.evaluationId as string);
}

async function onboardingDone(token: string, onboardingId: string) {
  return eventually(
    `onboarding ${onboardingId} to finish`,
    async () => {
      const { body } = await call('getOnboarding', 'GET', `/v1/onboardings/${onboardingId}`, token);
      return ['succeeded', 'failed'].includes(body.status as string) ? body : undefined;
    },
    60_000,
    200,
  );
}

const TEAM_A = [{ Key: 'rcp:team', Value: 'team-a' }, { Key: 'cost-center', Value: 'cc-42' }];

beforeAll(async () => {
  stack = await startLocalStack({
    prefix: 'compliance',
    env: { RCP_TOKENS: `team-a:${TOKENS.a},team-b:${TOKENS.b},auditor:${TOKENS.auditor}`, RCP_AUDITOR_TEAMS: 'auditor', RCP_COMPLIANCE_POLICY: JSON.stringify(POLICY) },
  });
  await contract.init();
  const sm = awsClients(stack.cloudUrl).sm;
  const create = async (key: string, name: string, tags: Array<{ Key: string; Value: string }>, value = '{"engine":"http","password":"x"}') => {
    arns[key] = (await sm.send(new CreateSecretCommand({ Name: name, SecretString: value, ...(tags.length ? { Tags: tags } : {}) }))).ARN!;
  };
  // Never rotated, never read, for 91 days by the local cloud's clock.
  await create('old', 'cmp/old', TEAM_A);
  await sm.send(new TagResourceCommand({ SecretId: 'demo/postgres', Tags: [{ Key: 'cost-center', Value: 'cc-1' }] }));
  await admin(stack.cloudUrl, '/_local/clock', { body: { advanceSeconds: 91 * DAY_S } });
  // Rotation every 100 days against a 90-day maximum.
  await create('rare', 'cmp/rare', TEAM_A);
  await sm.send(new RotateSecretCommand({ SecretId: arns.rare, RotationLambdaARN: FLEET, RotationRules: { AutomaticallyAfterDays: 100 }, RotateImmediately: false }));
  await create('untagged', 'cmp/nobody', []);
  await create('teamB', 'cmp/team-b', [{ Key: 'rcp:team', Value: 'team-b' }]);
  await create('noCostCenter', 'cmp/no-cost-center', [{ Key: 'rcp:team', Value: 'team-a' }]);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('org-wide compliance over HTTP', () => {
  it('finds each rule failing on a secret built to fail it, with the reason AWS semantics give', async () => {
    const evaluation = await evaluateNow(TOKENS.a);
    expect(evaluation).toMatchObject({ status: 'succeeded', trigger: 'request' });
    // The demo organisation: 3 accounts × 2 regions, each a ListSecrets page at least.
    expect(evaluation.listSecretsCalls).toBeGreaterThanOrEqual(6);

    expect(await finding(TOKENS.a, arns.old!, 'periodic-rotation')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'never rotated since it was created 91 days ago (more than 90)' });
    expect(await finding(TOKENS.a, arns.old!, 'secret-unused')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'never accessed since it was created 91 days ago (more than 90)' });
    expect(await finding(TOKENS.a, arns.old!, 'rotation-enabled')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'rotation is not configured' });
    expect(await finding(TOKENS.a, arns.old!, 'required-tags')).toMatchObject({ state: 'COMPLIANT' });
    expect(await finding(TOKENS.a, arns.rare!, 'rotation-enabled')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'rotation is configured every 100 days, less often than the maximum of 90 days' });
    expect(await finding(TOKENS.a, arns.rare!, 'rotated-by-other')).toMatchObject({ state: 'COMPLIANT' });
    expect(await finding(TOKENS.a, arns.rare!, 'scheduled-rotation-success')).toMatchObject({ state: 'COMPLIANT' });
    expect(await finding(TOKENS.a, arns.noCostCenter!, 'required-tags')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'missing the required tag keys cost-center' });
    // team-b is excused from the org's required tag: its team override wins.
    expect(await finding(TOKENS.auditor, arns.teamB!, 'required-tags')).toMatchObject({ state: 'COMPLIANT', reason: 'tagged' });
    expect(await finding(TOKENS.auditor, arns.untagged!, 'owner-tag')).toMatchObject({ state: 'NON_COMPLIANT', reason: 'no rcp:team tag names the owning team' });
  });

  it("re-evaluates a secret within seconds of its failed rotation, naming the rotator's step, class and reason", async () => {
    const adminLogin = JSON.parse(await readFile(join(stack.stateDir, 'demo-postgres', 'admin.json'), 'utf8')) as { username: string; password: string };
    const demo = JSON.parse((await awsClients(stack.cloudUrl).sm.send(new GetSecretValueCommand({ SecretId: 'demo/postgres' }))).SecretString!) as { port: number };
    const client = new pg.Client({ host: '127.0.0.1', port: demo.port, user: adminLogin.username, password: adminLogin.password, database: 'postgres' });
    await client.connect();
    await client.query(`CREATE ROLE cmp_failing WITH LOGIN PASSWORD 'cmp-initial-pass-1'`);
    const sm = awsClients(stack.cloudUrl).sm;
    arns.failing = (await sm.send(new CreateSecretCommand({ Name: 'cmp/failing', Tags: TEAM_A, SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: demo.port, username: 'cmp_failing', password: 'cmp-initial-pass-1', dbname: 'postgres' }) }))).ARN!;
    const onboarding = await call('createOnboarding', 'POST', '/v1/onboardings', TOKENS.a, { body: { secretId: arns.failing, schedule: 'rate(7 days)', rotateImmediately: false }, headers: { 'idempotency-key': 'cmp-failing-0001' } });
    expect((await onboardingDone(TOKENS.a, onboarding.body.onboardingId as string)).status).toBe('succeeded');
    // The password changes behind the secret's back: the next rotation cannot log in.
    await client.query(`ALTER ROLE cmp_failing WITH PASSWORD 'changed-elsewhere-canary'`);
    await client.end();
    expect((await call('rotateNow', 'POST', `/v1/secrets/${encodeURIComponent(arns.failing)}/rotations`, TOKENS.a)).status).toBe(202);
    const failing = await eventually(
      'the failed rotation to reach compliance',
      async () => {
        const f = await finding(TOKENS.a, arns.failing!, 'rotation-failing');
        return f.state === 'NON_COMPLIANT' ? f : undefined;
      },
      30_000,
      250,
    );
    expect(failing.lastFailure).toMatchObject({ step: expect.any(String), errorClass: 'AuthenticationFailed' });
    expect(failing.reason).toContain(`the last rotation failed at ${failing.lastFailure!.step} (AuthenticationFailed)`);
    expect(JSON.stringify(await secretCompliance(TOKENS.a, arns.failing))).not.toContain('changed-elsewhere-canary');
  });

  it('a team sees only its own secrets; an auditor sees the organisation, read-only', async () => {
    const own = await allFindings(TOKENS.a);
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((f) => f.team))).toEqual(new Set(['team-a']));
    expect(own.some((f) => f.secretArn === arns.teamB || f.secretArn === arns.untagged)).toBe(false);
    // Non-compliant first, the longest non-compliant first.
    const states = own.map((f) => f.state);
    expect(states.indexOf('COMPLIANT')).toBeGreaterThan(states.lastIndexOf('NON_COMPLIANT'));

    for (const arn of [arns.teamB!, arns.untagged!, 'cmp/does-not-exist']) {
      const reply = await secretCompliance(TOKENS.a, arn);
      expect(reply.status).toBe(404);
      expect(reply.body.type).toMatch(/\/secret-not-found$/);
    }
    expect((await call('listFindings', 'GET', '/v1/compliance/findings?team=team-b', TOKENS.a)).status).toBe(403);
    expect((await call('getComplianceSummary', 'GET', '/v1/compliance/summary?team=team-b', TOKENS.a)).status).toBe(403);

    const everyone = await allFindings(TOKENS.auditor);
    expect(everyone.some((f) => f.secretArn === arns.teamB)).toBe(true);
    expect(everyone.some((f) => f.secretArn === arns.untagged && f.team === undefined)).toBe(true);
    const onlyB = await allFindings(TOKENS.auditor, '&team=team-b');
    expect(new Set(onlyB.map((f) => f.team))).toEqual(new Set(['team-b']));
    const failingRotation = await allFindings(TOKENS.auditor, '&rule=rotation-enabled&state=NON_COMPLIANT&account=000000000000&region=us-east-1');
    expect(failingRotation.every((f) => f.rule === 'rotation-enabled' && f.state === 'NON_COMPLIANT')).toBe(true);
    expect(failingRotation.map((f) => f.secretArn)).toEqual(expect.arrayContaining([arns.old, arns.rare, arns.untagged]));

    const teamSummary = (await call('getComplianceSummary', 'GET', '/v1/compliance/summary', TOKENS.a)).body as { totals: { secrets: number; nonCompliant: number }; byTeam: Array<{ key: string }>; trend: unknown[] };
    expect(teamSummary.byTeam.map((t) => t.key)).toEqual(['team-a']);
    expect(teamSummary.totals.secrets).toBe(new Set(own.map((f) => f.secretArn)).size);
    expect(teamSummary.trend.length).toBeGreaterThanOrEqual(1);
    const orgSummary = (await call('getComplianceSummary', 'GET', '/v1/compliance/summary', TOKENS.auditor)).body as { totals: { secrets: number }; byTeam: Array<{ key: string }>; byRule: Array<{ rule: string; nonCompliant: number }> };
    expect(orgSummary.byTeam.map((t) => t.key)).toEqual(['(none)', 'team-a', 'team-b']);
    expect(orgSummary.totals.secrets).toBe(new Set(everyone.map((f) => f.secretArn)).size);
    for (const rule of ['rotation-enabled', 'secret-unused', 'periodic-rotation', 'required-tags', 'rotation-failing', 'owner-tag']) {
      expect(orgSummary.byRule.find((r) => r.rule === rule)!.nonCompliant, rule).toBeGreaterThanOrEqual(1);
    }

    // Read-only: an auditor's team owns nothing, so it cannot act on a finding.
    const oldFinding = everyone.find((f) => f.secretArn === arns.old && f.rule === 'rotation-enabled')!;
    const refused = await call('remediateFinding', 'POST', `/v1/compliance/findings/${oldFinding.findingId}/remediation`, TOKENS.auditor, { body: { schedule: 'rotate every 30 days' }, headers: { 'idempotency-key': 'cmp-auditor-0001' } });
    expect(refused.status).toBe(404);
  });

  it('exports CSV, JSON and ASFF of what the caller may see', async () => {
    const csv = await call('exportFindings', 'GET', '/v1/compliance/export?format=csv&state=NON_COMPLIANT', TOKENS.a);
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('findingId,secretArn,name,account,region,team,rule,state,reason,since,evaluatedAt,remediation');
    expect(lines.some((l) => l.includes('cmp/old') && l.includes('periodic-rotation'))).toBe(true);
    expect(csv.text).not.toContain('cmp/team-b');
    const json = await call('exportFindings', 'GET', '/v1/compliance/export?format=json&rule=owner-tag', TOKENS.auditor);
    expect((json.body.items as FindingView[]).every((f) => f.rule === 'owner-tag')).toBe(true);
    const asff = await call('exportFindings', 'GET', `/v1/compliance/export?format=asff&rule=rotation-enabled&state=NON_COMPLIANT`, TOKENS.a);
    const findings = asff.body.Findings as Array<{ Resources: Array<{ Id: string }> } & Record<string, unknown>>;
    const old = findings.find((f) => f.Resources[0]?.Id === arns.old)!;
    expect(old).toMatchObject({ SchemaVersion: '2018-10-08', AwsAccountId: '000000000000', Compliance: { Status: 'FAILED', SecurityControlId: 'SecretsManager.1' }, Resources: [{ Type: 'AwsSecretsManagerSecret' }] });
  });

  it("onboarding a secret from its finding makes it compliant after its first rotation, and says so with a Compliance Changed event", async () => {
    const before = await finding(TOKENS.a, 'demo/postgres', 'rotation-enabled');
    expect(before.state).toBe('NON_COMPLIANT');
    const started = await call('remediateFinding', 'POST', `/v1/compliance/findings/${before.findingId}/remediation`, TOKENS.a, { body: { schedule: 'rotate every 30 days' }, headers: { 'idempotency-key': 'cmp-remedy-0001' } });
    expect(started.status).toBe(202);
    // The same key again: the same onboarding, not a second one.
    const again = await call('remediateFinding', 'POST', `/v1/compliance/findings/${before.findingId}/remediation`, TOKENS.a, { body: { schedule: 'rotate every 30 days' }, headers: { 'idempotency-key': 'cmp-remedy-0001' } });
    expect(again.body.onboardingId).toBe(started.body.onboardingId);
    expect((await onboardingDone(TOKENS.a, started.body.onboardingId as string)).status).toBe('succeeded');
    const compliance = await eventually(
      'demo/postgres to comply',
      async () => {
        const { body } = await secretCompliance(TOKENS.a, 'demo/postgres');
        return (body.findings as FindingView[]).every((f) => f.state !== 'NON_COMPLIANT') ? body : undefined;
      },
      30_000,
      250,
    );
    expect(compliance.history).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'rotation-enabled', from: 'NON_COMPLIANT', to: 'COMPLIANT' })]));
    const { events } = await admin<{ events: Array<{ 'detail-type': string; detail: Record<string, unknown> }> }>(stack.cloudUrl, '/_local/events?bus=rcp-audit');
    const changed = events.filter((e) => e['detail-type'] === 'Compliance Changed' && e.detail.secretArn === compliance.secretArn);
    expect(changed.at(-1)?.detail).toMatchObject({ from: 'NON_COMPLIANT', to: 'COMPLIANT', team: 'team-a', failingRules: [] });
    expect(events.some((e) => e['detail-type'] === 'Compliance Evaluated' && e.detail.trigger === 'request')).toBe(true);

    // A finding that onboarding does not fix says what does.
    const tagFinding = await finding(TOKENS.a, arns.noCostCenter!, 'required-tags');
    const refused = await call('remediateFinding', 'POST', `/v1/compliance/findings/${tagFinding.findingId}/remediation`, TOKENS.a, { body: { schedule: 'rotate every 30 days' }, headers: { 'idempotency-key': 'cmp-remedy-0002' } });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('cost-center');
  });

  it("onboards a batch with one schedule, each its own onboarding, only the caller's team's", async () => {
    const reply = await call('createOnboardingBatch', 'POST', '/v1/onboardings/batch', TOKENS.a, {
      body: { secretIds: [arns.teamB, arns.untagged, 'cmp/does-not-exist', arns.old], schedule: 'rotate every 30 days', rotateImmediately: false },
      headers: { 'idempotency-key': 'cmp-batch-0001' },
    });
    expect(reply.status).toBe(207);
    const items = reply.body.items as Array<{ secretId: string; status: number; onboarding?: { onboardingId: string } }>;
    expect(items.map((i) => i.status)).toEqual([404, 404, 404, 202]);
    expect(items[3]!.onboarding?.onboardingId).toMatch(/^onb-/);
    const neither = await call('createOnboardingBatch', 'POST', '/v1/onboardings/batch', TOKENS.a, { body: { schedule: 'rotate every 30 days' }, headers: { 'idempotency-key': 'cmp-batch-0002' } });
    expect(neither.status).toBe(400);
  });
});

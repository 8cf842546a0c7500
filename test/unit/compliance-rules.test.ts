import { describe, expect, it } from 'vitest';
import { toAsff } from '../../services/compliance/asff.ts';
import { findingId, findingsOf, parseFindingId } from '../../services/compliance/findings.ts';
import { failingNow } from '../../services/compliance/facts.ts';
import { DEFAULT_PARAMETERS, parametersFor, parsePolicy } from '../../services/compliance/policy.ts';
import { evaluateSecret, isCompliant, rotationInterval, type SecretFacts } from '../../services/compliance/rules.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const FLEET = 'arn:aws:lambda:us-east-1:000000000000:function:fleet-rotator';
const context = (parameters = DEFAULT_PARAMETERS) => ({ now: NOW, parameters, ourRotators: new Set([FLEET]) });

/** A secret the product rotates every 30 days, rotated yesterday, read today, tagged with its team. */
function healthy(over: Partial<SecretFacts> = {}): SecretFacts {
  return {
    arn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:orders/db-AbCdEf',
    name: 'orders/db',
    account: '111111111111',
    region: 'us-east-1',
    tags: { 'rcp:team': 'payments', 'rcp:managed': 'true' },
    rotationEnabled: true,
    rotationLambdaArn: FLEET,
    rotationRules: { AutomaticallyAfterDays: 30 },
    createdAt: NOW - 200 * DAY,
    lastRotatedAt: NOW - DAY,
    lastAccessedAt: NOW - DAY,
    nextRotationAt: NOW + 29 * DAY,
    ...over,
  };
}

describe('compliance rules', () => {
  it('a secret rotated by the fleet rotator on schedule complies with every rule', () => {
    const results = evaluateSecret(healthy(), context());
    expect(Object.entries(results).filter(([, r]) => r.state === 'NON_COMPLIANT')).toEqual([]);
    expect(isCompliant(results)).toBe(true);
  });

  it('SecretsManager.1: no rotation fails (onboard), and rotation every 100 days fails against a 90-day maximum', () => {
    const off = evaluateSecret(healthy({ rotationEnabled: false, tags: { 'rcp:team': 'payments' }, rotationLambdaArn: undefined }), context());
    expect(off['rotation-enabled']).toMatchObject({ state: 'NON_COMPLIANT', reason: 'rotation is not configured', remediation: { action: 'onboard' } });
    expect(off['scheduled-rotation-success'].state).toBe('NOT_APPLICABLE');
    const rare = evaluateSecret(healthy({ rotationRules: { AutomaticallyAfterDays: 100 } }), context());
    expect(rare['rotation-enabled'].state).toBe('NON_COMPLIANT');
    expect(rare['rotation-enabled'].reason).toContain('every 100 days, less often than the maximum of 90 days');
    expect(evaluateSecret(healthy({ rotationRules: { AutomaticallyAfterDays: 90 } }), context())['rotation-enabled'].state).toBe('COMPLIANT');
    expect(evaluateSecret(healthy({ rotationRules: { ScheduleExpression: 'rate(100 days)' } }), context())['rotation-enabled'].state).toBe('NON_COMPLIANT');
  });

  it('SecretsManager.1 in hours, and a cron schedule measured by its longest gap', () => {
    expect(evaluateSecret(healthy({ rotationRules: { ScheduleExpression: 'rate(12 hours)' } }), context({ ...DEFAULT_PARAMETERS, maximumAllowedRotationFrequencyInHours: 8 }))['rotation-enabled'].state).toBe('NON_COMPLIANT');
    expect(rotationInterval({ ScheduleExpression: 'cron(0 4 ? * MON *)' })).toBe(7 * DAY);
    expect(rotationInterval({ ScheduleExpression: 'not a schedule' })).toBeUndefined();
  });

  it('SecretsManager.2: a rotation overdue by more than its window fails, naming the last failure', () => {
    const overdue = healthy({ lastRotatedAt: NOW - 40 * DAY, nextRotationAt: NOW - 10 * DAY, lastFailure: { at: new Date(NOW - 10 * DAY).toISOString(), step: 'setSecret', errorClass: 'AuthFailed', reason: 'password authentication failed' } });
    const results = evaluateSecret(overdue, context());
    expect(results['scheduled-rotation-success']).toMatchObject({ state: 'NON_COMPLIANT', remediation: { action: 'fix-rotation' } });
    expect(results['scheduled-rotation-success'].reason).toContain('setSecret');
    expect(results['rotation-failing'].reason).toBe('the last rotation failed at setSecret (AuthFailed): password authentication failed');
    // Without NextRotationDate, the last rotation plus the interval is the due date.
    expect(evaluateSecret(healthy({ nextRotationAt: undefined, lastRotatedAt: NOW - 32 * DAY }), context())['scheduled-rotation-success'].state).toBe('NON_COMPLIANT');
    expect(evaluateSecret(healthy({ nextRotationAt: NOW - DAY / 2 }), context())['scheduled-rotation-success'].state).toBe('COMPLIANT');
  });

  it('SecretsManager.3: unused for more than unusedForDays (never accessed: counted from creation)', () => {
    expect(evaluateSecret(healthy({ lastAccessedAt: NOW - 91 * DAY }), context())['secret-unused'].state).toBe('NON_COMPLIANT');
    expect(evaluateSecret(healthy({ lastAccessedAt: NOW - 90 * DAY }), context())['secret-unused'].state).toBe('COMPLIANT');
    const never = evaluateSecret(healthy({ lastAccessedAt: undefined, createdAt: NOW - 120 * DAY }), context());
    expect(never['secret-unused'].reason).toContain('never accessed since it was created 120 days ago');
    expect(evaluateSecret(healthy({ lastAccessedAt: NOW - 40 * DAY }), context({ ...DEFAULT_PARAMETERS, unusedForDays: 30 }))['secret-unused'].state).toBe('NON_COMPLIANT');
  });

  it('SecretsManager.4: not rotated within maxDaysSinceRotation (never rotated: counted from creation)', () => {
    expect(evaluateSecret(healthy({ lastRotatedAt: NOW - 91 * DAY }), context())['periodic-rotation'].state).toBe('NON_COMPLIANT');
    const never = evaluateSecret(healthy({ rotationEnabled: false, lastRotatedAt: undefined, createdAt: NOW - 91 * DAY, tags: { 'rcp:team': 'a' } }), context());
    expect(never['periodic-rotation']).toMatchObject({ state: 'NON_COMPLIANT', remediation: { action: 'onboard' } });
    expect(evaluateSecret(healthy({ lastRotatedAt: undefined, createdAt: NOW - 89 * DAY }), context())['periodic-rotation'].state).toBe('COMPLIANT');
  });

  it('SecretsManager.5: required tag keys, or any non-system tag when none are required', () => {
    expect(evaluateSecret(healthy({ tags: { 'aws:cloudformation:stack-name': 'x' } }), context())['required-tags'].state).toBe('NON_COMPLIANT');
    const required = context({ ...DEFAULT_PARAMETERS, requiredTagKeys: ['cost-center', 'rcp:team'] });
    expect(evaluateSecret(healthy(), required)['required-tags']).toMatchObject({ state: 'NON_COMPLIANT', reason: 'missing the required tag keys cost-center' });
    expect(evaluateSecret(healthy({ tags: { 'rcp:team': 'a', 'cost-center': '42' } }), required)['required-tags'].state).toBe('COMPLIANT');
  });

  it("the product's rules: another function, rotation turned off after onboarding, no owner tag", () => {
    const other = evaluateSecret(healthy({ rotationLambdaArn: 'arn:aws:lambda:us-east-1:111111111111:function:homemade' }), context());
    expect(other['rotated-by-other']).toMatchObject({ state: 'NON_COMPLIANT', remediation: { action: 'reonboard' } });
    const off = evaluateSecret(healthy({ rotationEnabled: false }), context());
    expect(off['onboarded-rotation-off']).toMatchObject({ state: 'NON_COMPLIANT', remediation: { action: 'reonboard' } });
    expect(evaluateSecret(healthy({ tags: { 'rcp:team': 'a' } }), context())['onboarded-rotation-off'].state).toBe('NOT_APPLICABLE');
    expect(evaluateSecret(healthy({ tags: { 'rcp:managed': 'true' } }), context())['owner-tag'].state).toBe('NON_COMPLIANT');
  });

  it('rotation is failing only while the last failure is newer than the last success', () => {
    const failure = { token: 't2', outcome: 'failed' as const, step: 'testSecret', at: '2026-05-02T00:00:00.000Z', reason: 'timeout', errorClass: 'Timeout' };
    const success = { token: 't1', outcome: 'succeeded' as const, step: 'finishSecret', at: '2026-05-01T00:00:00.000Z' };
    expect(failingNow({ lastFailure: failure, lastSuccess: success })).toEqual({ at: failure.at, step: 'testSecret', reason: 'timeout', errorClass: 'Timeout' });
    expect(failingNow({ lastFailure: failure, lastSuccess: { ...success, at: '2026-05-03T00:00:00.000Z' } })).toBeUndefined();
  });
});

describe('compliance policy', () => {
  it('org defaults, then the account, then the team', () => {
    const policy = parsePolicy(JSON.stringify({ defaults: { maxDaysSinceRotation: 60 }, accounts: { '111111111111': { maxDaysSinceRotation: 30, unusedForDays: 10 } }, teams: { payments: { maxDaysSinceRotation: 7 } } }));
    expect(parametersFor(policy, { account: '222222222222' })).toMatchObject({ maxDaysSinceRotation: 60, unusedForDays: 90 });
    expect(parametersFor(policy, { account: '111111111111', team: 'other' })).toMatchObject({ maxDaysSinceRotation: 30, unusedForDays: 10 });
    expect(parametersFor(policy, { account: '111111111111', team: 'payments' })).toMatchObject({ maxDaysSinceRotation: 7, unusedForDays: 10 });
  });

  it('a malformed policy names the field', () => {
    expect(() => parsePolicy('{"defaults":{"unusedForDays":0}}')).toThrow(/defaults\.unusedForDays/);
    expect(() => parsePolicy('{"defaults":{"typo":1}}')).toThrow(/invalid/);
    expect(() => parsePolicy('{')).toThrow(/not valid JSON/);
  });
});

describe('findings', () => {
  it('a finding id names its rule and secret, and only that', () => {
    const arn = healthy().arn;
    expect(parseFindingId(findingId(arn, 'owner-tag'))).toEqual({ rule: 'owner-tag', secretArn: arn });
    expect(parseFindingId('bm90LWEtZmluZGluZw')).toBeUndefined();
  });

  it('exports as ASFF with the Security Hub control and the compliance status', () => {
    const s = healthy({ rotationRules: { AutomaticallyAfterDays: 100 } });
    const results = evaluateSecret(s, context());
    const at = new Date(NOW).toISOString();
    const findings = findingsOf({ arn: s.arn, name: s.name, account: s.account, region: s.region, team: 'payments', results: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { ...r, since: at }])), evaluatedAt: at });
    const asff = toAsff(findings.find((f) => f.rule === 'rotation-enabled')!);
    expect(asff).toMatchObject({
      SchemaVersion: '2018-10-08',
      AwsAccountId: '111111111111',
      ProductArn: 'arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default',
      Compliance: { Status: 'FAILED', SecurityControlId: 'SecretsManager.1' },
      Resources: [{ Type: 'AwsSecretsManagerSecret', Id: s.arn, Region: 'us-east-1' }],
      Workflow: { Status: 'NEW' },
    });
    expect(toAsff(findings.find((f) => f.rule === 'owner-tag')!)).toMatchObject({ Compliance: { Status: 'PASSED' }, Severity: { Label: 'INFORMATIONAL' } });
  });
});

import { describe, expect, it } from 'vitest';
import { EventRules, type RulesRecord } from '../../infra/local/cloud/services/eventbridge/rules.ts';
import { nextFireAfter, parseScheduleExpression } from '../../infra/local/cloud/services/eventbridge/schedule-expressions.ts';
import { ManualClock, MemoryJournal } from './states-fixtures.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const pattern = JSON.stringify({ source: ['aws.secretsmanager'] });

async function rules(journal = new MemoryJournal<RulesRecord>(), buses = ['default', 'rcp-audit']) {
  const engine = await EventRules.open({ account: ACCOUNT, region: REGION, clock: new ManualClock(), journal, busExists: (name) => buses.includes(name) });
  const ops = engine.operations();
  const call = async <T = Record<string, unknown>>(op: string, input: unknown) => (await ops[op]!(input)) as T;
  return { engine, call, journal };
}

describe('rules', () => {
  it('puts a rule with the ARN AWS gives it, on the default bus or a custom one, and describes it', async () => {
    const { call } = await rules();
    expect(await call('PutRule', { Name: 'rotations', EventPattern: pattern })).toEqual({ RuleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/rotations` });
    expect(await call('PutRule', { Name: 'audit', EventBusName: 'rcp-audit', EventPattern: pattern, Description: 'audit events' })).toEqual({
      RuleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/rcp-audit/audit`,
    });
    expect(await call('DescribeRule', { Name: 'audit', EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rcp-audit` })).toEqual({
      Name: 'audit',
      Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/rcp-audit/audit`,
      EventPattern: pattern,
      State: 'ENABLED',
      Description: 'audit events',
      EventBusName: 'rcp-audit',
      CreatedBy: ACCOUNT,
    });
  });

  it('replaces every field on an update, keeping the targets', async () => {
    const { call } = await rules();
    await call('PutRule', { Name: 'r', EventPattern: pattern, Description: 'first', State: 'DISABLED' });
    await call('PutTargets', { Rule: 'r', Targets: [{ Id: 't', Arn: fnArn('f') }] });
    await call('PutRule', { Name: 'r', EventPattern: pattern });
    const described = await call('DescribeRule', { Name: 'r' });
    expect(described.Description).toBeUndefined();
    expect(described.State).toBe('ENABLED');
    expect((await call<{ Targets: unknown[] }>('ListTargetsByRule', { Rule: 'r' })).Targets).toHaveLength(1);
  });

  it('refuses what PutRule refuses, with the error AWS names', async () => {
    const { call } = await rules();
    await expect(call('PutRule', { Name: 'r' })).rejects.toMatchObject({ code: 'ValidationException', message: 'Parameter(s) EventPattern or ScheduleExpression must be specified.' });
    await expect(call('PutRule', { Name: 'r', EventPattern: '{"source":"x"}' })).rejects.toMatchObject({ code: 'InvalidEventPatternException' });
    await expect(call('PutRule', { Name: 'r', EventBusName: 'rcp-audit', ScheduleExpression: 'rate(5 minutes)' })).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(call('PutRule', { Name: 'r', ScheduleExpression: 'rate(1 minutes)' })).rejects.toMatchObject({ code: 'ValidationException', message: 'Parameter ScheduleExpression is not valid.' });
    await expect(call('PutRule', { Name: 'r', EventBusName: 'nope', EventPattern: pattern })).rejects.toMatchObject({ code: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' });
    await expect(call('PutRule', { Name: 'bad name', EventPattern: pattern })).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(call('DescribeRule', { Name: 'absent' })).rejects.toMatchObject({ code: 'ResourceNotFoundException', message: 'Rule absent does not exist on EventBus default.' });
  });

  it('lists rules of a bus by name prefix, page by page', async () => {
    const { call } = await rules();
    for (const name of ['rcp-b', 'rcp-a', 'other', 'rcp-c']) await call('PutRule', { Name: name, EventPattern: pattern });
    await call('PutRule', { Name: 'rcp-elsewhere', EventBusName: 'rcp-audit', EventPattern: pattern });
    const first = await call<{ Rules: Array<{ Name: string }>; NextToken?: string }>('ListRules', { NamePrefix: 'rcp-', Limit: 2 });
    const second = await call<{ Rules: Array<{ Name: string }>; NextToken?: string }>('ListRules', { NamePrefix: 'rcp-', Limit: 2, NextToken: first.NextToken });
    expect([...first.Rules, ...second.Rules].map((r) => r.Name)).toEqual(['rcp-a', 'rcp-b', 'rcp-c']);
    expect(second.NextToken).toBeUndefined();
    await expect(call('ListRules', { EventBusName: 'nope' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    await expect(call('ListRules', { NextToken: 'forged' })).rejects.toMatchObject({ code: 'ValidationException' });
  });

  it('matches only ENABLED rules on the event bus', async () => {
    const { engine, call } = await rules();
    await call('PutRule', { Name: 'r', EventPattern: pattern });
    await call('PutRule', { Name: 'on-audit', EventBusName: 'rcp-audit', EventPattern: pattern });
    const event = { source: 'aws.secretsmanager', detail: {} };
    expect(engine.matching('default', event).map((r) => r.name)).toEqual(['r']);
    await call('DisableRule', { Name: 'r' });
    expect(engine.matching('default', event)).toEqual([]);
    await call('EnableRule', { Name: 'r' });
    expect(engine.matching('default', { source: 'aws.ec2' })).toEqual([]);
    expect(engine.matching('default', event)).toHaveLength(1);
    await expect(call('EnableRule', { Name: 'absent' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });

  it("refuses to delete a rule that has targets, deletes it once they are removed, and deleting again succeeds", async () => {
    const { call } = await rules();
    await call('PutRule', { Name: 'r', EventPattern: pattern });
    await call('PutTargets', { Rule: 'r', Targets: [{ Id: 'a', Arn: fnArn('f') }] });
    await expect(call('DeleteRule', { Name: 'r' })).rejects.toMatchObject({ code: 'ValidationException', message: "Rule can't be deleted since it has targets." });
    expect(await call('RemoveTargets', { Rule: 'r', Ids: ['a', 'never-there'] })).toEqual({ FailedEntryCount: 0, FailedEntries: [] });
    await call('DeleteRule', { Name: 'r' });
    await expect(call('DescribeRule', { Name: 'r' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    await call('DeleteRule', { Name: 'r' });
    await expect(call('DeleteRule', { Name: 'r', EventBusName: 'nope' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });
});

describe('targets', () => {
  it('keeps the valid targets and reports each refused one', async () => {
    const { call } = await rules();
    await call('PutRule', { Name: 'r', EventPattern: pattern });
    const result = await call<{ FailedEntryCount: number; FailedEntries: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> }>('PutTargets', {
      Rule: 'r',
      Targets: [
        { Id: 'fn', Arn: fnArn('f'), InputPath: '$.detail', RetryPolicy: { MaximumRetryAttempts: 3 } },
        { Id: 'sfn', Arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:m`, RoleArn: `arn:aws:iam::${ACCOUNT}:role/events` },
        { Id: 'queue', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` },
        { Id: 'sfn-no-role', Arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:m` },
        { Id: 'bad-input', Arn: fnArn('f'), Input: '{nope' },
        { Id: 'two-inputs', Arn: fnArn('f'), Input: '{}', InputPath: '$' },
        { Id: 'foreign-bus-input', Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/central', Input: '{}' },
      ],
    });
    expect(result.FailedEntryCount).toBe(5);
    expect(result.FailedEntries.map((e) => e.TargetId)).toEqual(['queue', 'sfn-no-role', 'bad-input', 'two-inputs', 'foreign-bus-input']);
    expect(result.FailedEntries.every((e) => e.ErrorCode === 'ValidationException' && e.ErrorMessage.length > 0)).toBe(true);
    const { Targets } = await call<{ Targets: Array<{ Id: string }> }>('ListTargetsByRule', { Rule: 'r' });
    expect(Targets.map((t) => t.Id)).toEqual(['fn', 'sfn']);
    expect(Targets[0]).toEqual({ Id: 'fn', Arn: fnArn('f'), InputPath: '$.detail', RetryPolicy: { MaximumRetryAttempts: 3 } });
  });

  it('allows five targets per rule and replaces a target put again with the same Id', async () => {
    const { call } = await rules();
    await call('PutRule', { Name: 'r', EventPattern: pattern });
    const five = Array.from({ length: 5 }, (_, i) => ({ Id: `t${i}`, Arn: fnArn(`f${i}`) }));
    expect((await call('PutTargets', { Rule: 'r', Targets: five })).FailedEntryCount).toBe(0);
    await call('PutTargets', { Rule: 'r', Targets: [{ Id: 't0', Arn: fnArn('replaced') }] });
    const { Targets } = await call<{ Targets: Array<{ Id: string; Arn: string }> }>('ListTargetsByRule', { Rule: 'r' });
    expect(Targets.find((t) => t.Id === 't0')!.Arn).toBe(fnArn('replaced'));
    await expect(call('PutTargets', { Rule: 'r', Targets: [{ Id: 't5', Arn: fnArn('f5') }] })).rejects.toMatchObject({ code: 'LimitExceededException' });
    await expect(call('PutTargets', { Rule: 'absent', Targets: five })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });
});

describe('event bus permissions', () => {
  it('builds the policy DescribeEventBus shows and lets the named account, or the organisation, put events', async () => {
    const { engine, call } = await rules();
    await call('PutPermission', { EventBusName: 'rcp-audit', Action: 'events:PutEvents', Principal: '222233334444', StatementId: 'member-a' });
    await call('PutPermission', {
      EventBusName: 'rcp-audit',
      Action: 'events:PutEvents',
      Principal: '*',
      StatementId: 'whole-org',
      Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: 'o-abc123' },
    });
    expect(JSON.parse(engine.policyOf('rcp-audit')!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'member-a', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222233334444:root' }, Action: 'events:PutEvents', Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rcp-audit` },
        {
          Sid: 'whole-org',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rcp-audit`,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
        },
      ],
    });
    expect(engine.allowsPutEvents('rcp-audit', { account: ACCOUNT })).toBe(true);
    expect(engine.allowsPutEvents('rcp-audit', { account: '222233334444' })).toBe(true);
    expect(engine.allowsPutEvents('rcp-audit', { account: '555566667777', orgId: 'o-abc123' })).toBe(true);
    expect(engine.allowsPutEvents('rcp-audit', { account: '555566667777', orgId: 'o-other' })).toBe(false);
    expect(engine.allowsPutEvents('rcp-audit', { account: '555566667777' })).toBe(false);
    expect(engine.allowsPutEvents('default', { account: '222233334444' })).toBe(false);

    await call('RemovePermission', { EventBusName: 'rcp-audit', StatementId: 'whole-org' });
    expect(engine.allowsPutEvents('rcp-audit', { account: '555566667777', orgId: 'o-abc123' })).toBe(false);
    await expect(call('RemovePermission', { EventBusName: 'rcp-audit', StatementId: 'whole-org' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    await call('RemovePermission', { EventBusName: 'rcp-audit', RemoveAllPermissions: true });
    expect(engine.policyOf('rcp-audit')).toBeUndefined();
  });

  it('takes a whole policy, honours Deny, and refuses one too long', async () => {
    const { engine, call } = await rules();
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'all', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: '*' },
        { Sid: 'not-b', Effect: 'Deny', Principal: { AWS: ['333344445555'] }, Action: 'events:*', Resource: '*' },
      ],
    };
    await call('PutPermission', { Policy: JSON.stringify(policy) });
    expect(engine.allowsPutEvents('default', { account: '222233334444' })).toBe(true);
    expect(engine.allowsPutEvents('default', { account: '333344445555' })).toBe(false);
    await expect(call('PutPermission', { Policy: JSON.stringify({ ...policy, Pad: 'x'.repeat(11_000) }) })).rejects.toMatchObject({ code: 'PolicyLengthExceededException' });
    await expect(call('PutPermission', { Principal: '222233334444' })).rejects.toMatchObject({ code: 'ValidationException' });
  });
});

describe('schedules', () => {
  const at = (iso: string) => Date.parse(iso);
  const next = (expression: string, after: string, since = after) => new Date(nextFireAfter(parseScheduleExpression(expression), at(since), at(after))!).toISOString();

  it('accepts the documented rate() and cron() forms and refuses the rest', () => {
    for (const ok of ['rate(1 minute)', 'rate(5 minutes)', 'rate(1 hour)', 'rate(12 hours)', 'rate(1 day)', 'rate(7 days)', 'cron(0 10 * * ? *)', 'cron(0/15 * * * ? *)', 'cron(0 18 ? * MON-FRI *)', 'cron(15 10 ? * 6L 2026-2030)', 'cron(0 9 ? * 2#1 *)']) {
      expect(() => parseScheduleExpression(ok), ok).not.toThrow();
    }
    for (const bad of ['rate(0 minutes)', 'rate(1 minutes)', 'rate(5 minute)', 'rate(5 seconds)', 'cron(0 10 * * * *)', 'cron(0 10 ? * ? *)', 'cron(0 10 * *)', 'every day', 'cron(99 10 * * ? *)']) {
      expect(() => parseScheduleExpression(bad), bad).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    }
  });

  it('fires rate() every period from when the schedule was set', () => {
    expect(next('rate(5 minutes)', '2026-01-05T10:00:00Z')).toBe('2026-01-05T10:05:00.000Z');
    expect(next('rate(5 minutes)', '2026-01-05T10:07:00Z', '2026-01-05T10:00:00Z')).toBe('2026-01-05T10:10:00.000Z');
  });

  it('fires cron() in UTC with the EventBridge day-of-week numbering (1 = Sunday)', () => {
    expect(next('cron(0 10 * * ? *)', '2026-01-05T10:00:00Z')).toBe('2026-01-06T10:00:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-01-05T10:07:00Z')).toBe('2026-01-05T10:15:00.000Z');
    expect(next('cron(0 18 ? * MON-FRI *)', '2026-01-09T19:00:00Z')).toBe('2026-01-12T18:00:00.000Z');
    expect(next('cron(0 8 ? * 1 *)', '2026-01-05T00:00:00Z')).toBe('2026-01-11T08:00:00.000Z');
    expect(next('cron(0 9 ? * 2#1 *)', '2026-01-06T00:00:00Z')).toBe('2026-02-02T09:00:00.000Z');
    expect(next('cron(15 10 ? * 6L 2026)', '2026-01-05T00:00:00Z')).toBe('2026-01-30T10:15:00.000Z');
    expect(next('cron(0 8 1 * ? *)', '2026-01-05T00:00:00Z')).toBe('2026-02-01T08:00:00.000Z');
  });
});

describe('TestEventPattern and persistence', () => {
  it('tests a pattern against an event as the API does', async () => {
    const { call } = await rules();
    const event = { id: '1', account: ACCOUNT, source: 'aws.secretsmanager', time: '2026-01-05T10:00:00Z', region: REGION, 'detail-type': 'x', detail: {} };
    expect(await call('TestEventPattern', { EventPattern: pattern, Event: JSON.stringify(event) })).toEqual({ Result: true });
    expect(await call('TestEventPattern', { EventPattern: pattern, Event: JSON.stringify({ ...event, source: 'aws.ec2' }) })).toEqual({ Result: false });
    await expect(call('TestEventPattern', { EventPattern: pattern, Event: '{"source":"x"}' })).rejects.toMatchObject({ code: 'ValidationException' });
  });

  it('comes back from its journal with the same rules, targets and policies', async () => {
    const first = await rules();
    await first.call('PutRule', { Name: 'r', EventPattern: pattern, State: 'DISABLED' });
    await first.call('PutTargets', { Rule: 'r', Targets: [{ Id: 't', Arn: fnArn('f') }] });
    await first.call('PutRule', { Name: 'gone', EventPattern: pattern });
    await first.call('DeleteRule', { Name: 'gone' });
    await first.call('PutPermission', { Action: 'events:PutEvents', Principal: '222233334444', StatementId: 'a' });
    const second = await rules(first.journal);
    expect(await second.call('DescribeRule', { Name: 'r' })).toMatchObject({ State: 'DISABLED' });
    expect((await second.call<{ Targets: unknown[] }>('ListTargetsByRule', { Rule: 'r' })).Targets).toHaveLength(1);
    await expect(second.call('DescribeRule', { Name: 'gone' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    expect(second.engine.allowsPutEvents('default', { account: '222233334444' })).toBe(true);
  });
});

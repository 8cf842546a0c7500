import { afterEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../infra/local/cloud/errors.ts';
import { EventRules, type RulesRecord } from '../../infra/local/cloud/services/eventbridge/rules.ts';
import { EventDelivery, fillTemplate, readPath, targetInput, type BusEvent, type DeliveryRecord, type EventDeliveryOptions } from '../../infra/local/cloud/services/eventbridge/targets.ts';
import { ManualClock, MemoryJournal } from './states-fixtures.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:onboarding`;

const event = (detail: object = { eventName: 'RotationSucceeded', secret: 'db' }, source = 'aws.secretsmanager'): BusEvent => ({
  version: '0',
  id: `e-${Math.random().toString(36).slice(2)}`,
  'detail-type': 'AWS Service Event via CloudTrail',
  source,
  account: ACCOUNT,
  time: '2026-01-05T10:00:00Z',
  region: REGION,
  resources: [],
  detail,
});

const opened: EventDelivery[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.stop()));
});

async function setup(overrides: Partial<EventDeliveryOptions> = {}, journals = { rules: new MemoryJournal<RulesRecord>(), delivery: new MemoryJournal<DeliveryRecord>() }) {
  const clock = (overrides.clock as ManualClock | undefined) ?? new ManualClock();
  const rules = await EventRules.open({ account: ACCOUNT, region: REGION, clock, journal: journals.rules, busExists: () => true });
  const ops = rules.operations();
  const invoked: Array<[string, unknown]> = [];
  const started: Array<[string, string, string | undefined, string]> = [];
  const forwarded: Array<[string, BusEvent, { account: string }]> = [];
  const delivery = await EventDelivery.open({
    account: ACCOUNT,
    region: REGION,
    clock,
    journal: journals.delivery,
    rules,
    invoke: async (arn, payload) => (invoked.push([arn, payload]), { payload: null }),
    startExecution: async (arn, input, role, name) => void started.push([arn, input, role, name]),
    putOnBus: async (arn, e, sender) => void forwarded.push([arn, e, sender]),
    retryScale: 0.001,
    ...overrides,
  });
  opened.push(delivery);
  return { rules, delivery, clock, journals, invoked, started, forwarded, call: (op: string, input: unknown) => ops[op]!(input) };
}

describe('delivering events to targets', () => {
  it('sends an accepted event through every ENABLED matching rule to each of its targets, after queueing it durably', async () => {
    const s = await setup();
    await s.call('PutRule', { Name: 'rotations', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'], detail: { eventName: [{ prefix: 'Rotation' }] } }) });
    await s.call('PutTargets', { Rule: 'rotations', Targets: [{ Id: 'fn', Arn: fnArn('compliance') }, { Id: 'sfn', Arn: machineArn, RoleArn: 'arn:aws:iam::111122223333:role/events' }] });
    await s.call('PutRule', { Name: 'off', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }), State: 'DISABLED' });
    await s.call('PutTargets', { Rule: 'off', Targets: [{ Id: 'fn', Arn: fnArn('never') }] });
    const e = event();
    expect(await s.delivery.accept([e, event({ eventName: 'PutSecretValue' })], 'default')).toBe(2);
    expect(s.journals.delivery.records.filter((r) => r.kind === 'queued')).toHaveLength(2);
    await s.delivery.idle();
    expect(s.invoked).toEqual([[fnArn('compliance'), e]]);
    // The execution is named after the delivery, so a delivery repeated after a crash cannot start a second one.
    const sfnDelivery = s.journals.delivery.records.find((r) => r.kind === 'queued' && r.target.Id === 'sfn')!;
    expect(s.started).toEqual([[machineArn, JSON.stringify(e), 'arn:aws:iam::111122223333:role/events', sfnDelivery.kind === 'queued' && sfnDelivery.id]]);
    expect(s.delivery.queued()).toEqual([]);
    expect(await s.delivery.accept([event({}, 'aws.ec2')], 'default')).toBe(0);
  });

  it('starts delivering on accept by itself, also for events accepted while a pass is under way', async () => {
    const invoked: unknown[] = [];
    // One delivery at a time, each taking a while: the pass is still going when the last event comes.
    const s = await setup({ concurrency: 1, invoke: async (_arn, payload) => (await new Promise((r) => setTimeout(r, 20)), invoked.push(payload), { payload: null }) });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('f') }] });
    await s.delivery.accept([event(), event()], 'default');
    await new Promise((r) => setTimeout(r, 5));
    await s.delivery.accept([event()], 'default');
    const deadline = Date.now() + 2000;
    while (invoked.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(invoked).toHaveLength(3);
  });

  it('shapes what the target receives with Input, InputPath and InputTransformer', async () => {
    const s = await setup();
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', {
      Rule: 'r',
      Targets: [
        { Id: 'constant', Arn: fnArn('a'), Input: '{"fixed":true}' },
        { Id: 'path', Arn: fnArn('b'), InputPath: '$.detail' },
        { Id: 'transform', Arn: fnArn('c'), InputTransformer: { InputPathsMap: { secret: '$.detail.secret', name: '$.detail.eventName' }, InputTemplate: '{"text": "<name> for <secret>", "secret": <secret>, "rule": "<aws.events.rule-name>"}' } },
      ],
    });
    const e = event();
    await s.delivery.accept([e], 'default');
    await s.delivery.idle();
    const byFunction = Object.fromEntries(s.invoked.map(([arn, payload]) => [arn.split(':').at(-1), payload]));
    expect(byFunction).toEqual({ a: { fixed: true }, b: e.detail, c: { text: 'RotationSucceeded for db', secret: 'db', rule: 'r' } });
  });

  it('retries a throttled delivery with exponential backoff on the cloud clock, and delivers it', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const s = await setup({
      clock,
      retryScale: 1,
      invoke: async () => {
        if (++calls < 3) throw new AwsError('TooManyRequestsException', 'Rate exceeded', 429);
        return { payload: null };
      },
    });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('f') }] });
    await s.delivery.accept([event()], 'default');
    await s.delivery.idle();
    expect(s.delivery.queued()).toMatchObject([{ attempts: 1, nextAt: clock.ms + 1000, lastError: expect.stringContaining('TooManyRequestsException') }]);
    clock.advance(1000);
    await s.delivery.tick();
    await s.delivery.idle();
    expect(s.delivery.queued()).toMatchObject([{ attempts: 2, nextAt: clock.ms + 2000 }]);
    clock.advance(2000);
    await s.delivery.tick();
    await s.delivery.idle();
    expect(calls).toBe(3);
    expect(s.delivery.queued()).toEqual([]);
    expect(s.journals.delivery.records.map((r) => r.kind)).toEqual(['queued', 'failed', 'failed', 'delivered']);
  });

  it('does not retry a target that does not exist, and keeps it as a dead letter with the DeadLetterConfig', async () => {
    const s = await setup({ invoke: async () => Promise.reject(new AwsError('ResourceNotFoundException', 'Function not found: x', 404)) });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('x'), DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:dlq` } }] });
    const e = event();
    await s.delivery.accept([e], 'default');
    await s.delivery.idle();
    expect(s.delivery.deadLetters()).toEqual([
      expect.objectContaining({ targetId: 'fn', eventId: e.id, deadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:dlq`, reason: expect.stringContaining('ResourceNotFoundException') }),
    ]);
    expect(s.delivery.queued()).toEqual([]);
  });

  it('retries a function error twice, as Lambda does for asynchronous invocations, then gives up', async () => {
    let calls = 0;
    const s = await setup({ invoke: async () => (calls++, { payload: { errorType: 'Boom', errorMessage: 'no' }, functionError: 'Unhandled' }) });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('f') }] });
    await s.delivery.accept([event()], 'default');
    for (let i = 0; i < 3; i++) {
      s.clock.advance(200);
      await s.delivery.tick();
      await s.delivery.idle();
    }
    expect(calls).toBe(3);
    expect(s.delivery.deadLetters()[0]!.reason).toBe('the function failed with Boom (after 3 attempts)');
  });

  it('stops retrying when the RetryPolicy attempts are spent', async () => {
    let calls = 0;
    const s = await setup({
      invoke: async () => {
        calls++;
        throw Object.assign(new Error('service unavailable'), { name: 'ServiceException' });
      },
      retryScale: 0,
    });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'once', Arn: fnArn('f'), RetryPolicy: { MaximumRetryAttempts: 0 } }, { Id: 'thrice', Arn: fnArn('g'), RetryPolicy: { MaximumRetryAttempts: 2 } }] });
    await s.delivery.accept([event()], 'default');
    await s.delivery.idle();
    const dead = s.delivery.deadLetters();
    expect(dead.map((d) => [d.targetId, d.reason.match(/after (\d+) attempt/)![1]])).toEqual(
      expect.arrayContaining([
        ['once', '1'],
        ['thrice', '3'],
      ]),
    );
    expect(calls).toBe(4);
  });

  it('stops retrying when the next attempt would come after MaximumEventAgeInSeconds', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const s = await setup({
      clock,
      retryScale: 1,
      invoke: async () => {
        calls++;
        throw new AwsError('ThrottlingException', 'slow down');
      },
    });
    await s.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('f'), RetryPolicy: { MaximumEventAgeInSeconds: 60 } }] });
    await s.delivery.accept([event()], 'default');
    while (s.delivery.queued().length) {
      await s.delivery.idle();
      const next = s.delivery.queued()[0];
      if (next) clock.ms = next.nextAt;
      await s.delivery.tick();
    }
    // Backoff 1, 2, 4, 8, 16 s: the sixth retry (32 s later) would be 63 s after the event arrived.
    expect(calls).toBe(6);
    expect(s.delivery.deadLetters()[0]!.reason).toContain('after 6 attempts');
  });

  it('forwards the event unchanged to an event bus target, and does not retry a refused one', async () => {
    const central = 'arn:aws:events:eu-west-1:999988887777:event-bus/rcp-central';
    const refused: string[] = [];
    const s = await setup({
      putOnBus: async (arn) => {
        refused.push(arn);
        throw new AwsError('AccessDeniedException', 'the bus policy does not allow this account');
      },
    });
    await s.call('PutRule', { Name: 'forward', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await s.call('PutTargets', { Rule: 'forward', Targets: [{ Id: 'central', Arn: central }] });
    await s.delivery.accept([event()], 'default');
    await s.delivery.idle();
    expect(refused).toEqual([central]);
    expect(s.delivery.deadLetters()[0]!.reason).toContain('AccessDeniedException');

    const ok = await setup();
    await ok.call('PutRule', { Name: 'forward', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await ok.call('PutTargets', { Rule: 'forward', Targets: [{ Id: 'central', Arn: central }] });
    const e = event();
    await ok.delivery.accept([e], 'default');
    await ok.delivery.idle();
    expect(ok.forwarded).toEqual([[central, e, { account: ACCOUNT }]]);
  });

  it('goes on delivering after a restart, with the attempts already made counted', async () => {
    const journals = { rules: new MemoryJournal<RulesRecord>(), delivery: new MemoryJournal<DeliveryRecord>() };
    const clock = new ManualClock();
    const first = await setup({ clock, retryScale: 1, invoke: async () => Promise.reject(new AwsError('ThrottlingException', 'slow down')) }, journals);
    await first.call('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await first.call('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: fnArn('f') }] });
    const e = event();
    await first.delivery.accept([e], 'default');
    await first.delivery.idle();
    await first.delivery.stop();

    const second = await setup({ clock }, journals);
    expect(second.delivery.queued()).toMatchObject([{ attempts: 1, event: { id: e.id } }]);
    clock.advance(1000);
    await second.delivery.tick();
    await second.delivery.idle();
    expect(second.invoked).toEqual([[fnArn('f'), e]]);
    expect(second.delivery.queued()).toEqual([]);
  });

  it('fires a scheduled rule on the cloud clock, once per due time however far the clock jumps', async () => {
    const s = await setup();
    await s.call('PutRule', { Name: 'inventory', ScheduleExpression: 'rate(5 minutes)' });
    await s.call('PutTargets', { Rule: 'inventory', Targets: [{ Id: 'fn', Arn: fnArn('inventory') }] });
    await s.delivery.tick();
    expect(s.invoked).toEqual([]);
    s.clock.advance(5 * 60_000);
    await s.delivery.tick();
    await s.delivery.idle();
    expect(s.invoked).toHaveLength(1);
    expect(s.invoked[0]![1]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/inventory`], detail: {} });
    await s.delivery.tick();
    expect(s.invoked).toHaveLength(1);
    s.clock.advance(60 * 60_000);
    await s.delivery.tick();
    await s.delivery.idle();
    expect(s.invoked).toHaveLength(2);
    await s.call('DisableRule', { Name: 'inventory' });
    s.clock.advance(60 * 60_000);
    await s.delivery.tick();
    expect(s.invoked).toHaveLength(2);
  });
});

describe('target input helpers', () => {
  const e = event({ 'instance-id': 'i-1', list: [{ x: 1 }], text: 'say "hi"' });
  it('reads JSONPaths in dot notation', () => {
    expect(readPath(e, '$')).toBe(e);
    expect(readPath(e, '$.detail.instance-id')).toBe('i-1');
    expect(readPath(e, '$.detail.list[0].x')).toBe(1);
    expect(readPath(e, '$.detail.absent.deeper')).toBeUndefined();
  });

  it('fills templates, escaping values inside strings and writing JSON outside them', () => {
    expect(fillTemplate('{"a": "<t>", "b": <t>, "c": <missing>}', { t: 'say "hi"', missing: undefined })).toBe('{"a": "say \\"hi\\"", "b": "say \\"hi\\"", "c": null}');
    expect(fillTemplate('"<o>"', { o: { k: 1 } })).toBe('"{\\"k\\":1}"');
    expect(fillTemplate('<unknown> stays', {})).toBe('<unknown> stays');
  });

  it('passes a template that is not JSON as a string', () => {
    const target = { Id: 't', Arn: fnArn('f'), InputTransformer: { InputPathsMap: { id: '$.detail.instance-id' }, InputTemplate: 'instance <id> changed' } };
    expect(targetInput(target, e, { arn: 'a', name: 'n' }, 0)).toBe('instance i-1 changed');
  });
});

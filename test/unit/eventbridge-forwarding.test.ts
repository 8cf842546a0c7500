import { afterEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../infra/local/cloud/errors.ts';
import { EventRules, type RulesRecord } from '../../infra/local/cloud/services/eventbridge/rules.ts';
import { EventDelivery, type BusEvent, type DeliveryRecord } from '../../infra/local/cloud/services/eventbridge/targets.ts';
import { ManualClock, MemoryJournal } from './states-fixtures.ts';

// Cross-account forwarding as the member stacks use it: a member account's rule sends
// aws.secretsmanager events to the central account's bus, whose policy names the member (or the
// organisation). The wiring below is what the cloud's gateway does between partitions.

const CENTRAL = '000000000000';
const MEMBER = '222233334444';
const OUTSIDER = '555566667777';
const ORG = 'o-abc123';
const REGION = 'us-east-1';
const orgOf = (account: string) => (account === OUTSIDER ? undefined : ORG);
const busArn = (account: string, name: string) => `arn:aws:events:${REGION}:${account}:event-bus/${name}`;

interface Partition {
  rules: EventRules;
  delivery: EventDelivery;
  received: BusEvent[];
  call(op: string, input: unknown): Promise<unknown>;
}

const deliveries: EventDelivery[] = [];
afterEach(async () => {
  await Promise.all(deliveries.splice(0).map((d) => d.stop()));
});

async function cloud() {
  const clock = new ManualClock();
  const partitions = new Map<string, Partition>();
  const buses: Record<string, string[]> = { [CENTRAL]: ['default', 'rcp-central'], [MEMBER]: ['default'], [OUTSIDER]: ['default'] };
  for (const account of [CENTRAL, MEMBER, OUTSIDER]) {
    const rules = await EventRules.open({ account, region: REGION, clock, journal: new MemoryJournal<RulesRecord>(), busExists: (name) => buses[account]!.includes(name) });
    const received: BusEvent[] = [];
    const delivery = await EventDelivery.open({
      account,
      region: REGION,
      clock,
      journal: new MemoryJournal<DeliveryRecord>(),
      rules,
      invoke: async (_arn, payload) => (received.push(payload as BusEvent), { payload: null }),
      startExecution: async () => undefined,
      // What the gateway does: find the bus's partition, ask its policy, put the event there as it is.
      putOnBus: async (arn, event, sender) => {
        const [, , , , targetAccount, resource] = arn.split(':');
        const name = resource!.replace(/^event-bus\//, '');
        const target = partitions.get(targetAccount!);
        if (!target || !buses[targetAccount!]!.includes(name)) throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        if (!target.rules.allowsPutEvents(name, { account: sender.account, orgId: orgOf(sender.account) })) {
          throw new AwsError('AccessDeniedException', `User: arn:aws:iam::${sender.account}:root is not authorized to perform: events:PutEvents on resource: ${arn}`);
        }
        await target.delivery.accept([event], name);
      },
    });
    deliveries.push(delivery);
    const ops = rules.operations();
    partitions.set(account, { rules, delivery, received, call: (op, input) => ops[op]!(input) });
  }
  return { partitions, central: partitions.get(CENTRAL)!, member: partitions.get(MEMBER)!, outsider: partitions.get(OUTSIDER)! };
}

const rotationEvent = (account: string): BusEvent => ({
  version: '0',
  id: `evt-${account}`,
  'detail-type': 'AWS Service Event via CloudTrail',
  source: 'aws.secretsmanager',
  account,
  time: '2026-01-05T10:00:00Z',
  region: REGION,
  resources: [],
  detail: { eventName: 'RotationSucceeded' },
});

async function forwardFrom(p: Partition) {
  await p.call('PutRule', { Name: 'forward-rotations', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
  await p.call('PutTargets', { Rule: 'forward-rotations', Targets: [{ Id: 'central', Arn: busArn(CENTRAL, 'rcp-central') }] });
}

async function settle(parts: Partition[]) {
  for (let i = 0; i < 3; i++) for (const p of parts) await p.delivery.idle();
}

describe('forwarding events to another account', () => {
  it('delivers a member event on the central bus when the policy allows the organisation, keeping its account and region', async () => {
    const { central, member, outsider } = await cloud();
    await central.call('PutPermission', { EventBusName: 'rcp-central', Action: 'events:PutEvents', Principal: '*', StatementId: 'org', Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG } });
    await central.call('PutRule', { Name: 'compliance', EventBusName: 'rcp-central', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'], account: [{ 'anything-but': CENTRAL }] }) });
    await central.call('PutTargets', { Rule: 'compliance', EventBusName: 'rcp-central', Targets: [{ Id: 'fn', Arn: `arn:aws:lambda:${REGION}:${CENTRAL}:function:compliance` }] });
    await forwardFrom(member);
    await forwardFrom(outsider);

    await member.delivery.accept([rotationEvent(MEMBER)], 'default');
    await outsider.delivery.accept([rotationEvent(OUTSIDER)], 'default');
    await settle([member, outsider, central]);

    expect(central.received).toEqual([rotationEvent(MEMBER)]);
    expect(outsider.delivery.deadLetters()).toEqual([expect.objectContaining({ reason: expect.stringContaining('AccessDeniedException') })]);
  });

  it('lets a named account forward, and stops it once the permission is removed', async () => {
    const { central, member } = await cloud();
    await central.call('PutPermission', { EventBusName: 'rcp-central', Action: 'events:PutEvents', Principal: MEMBER, StatementId: 'member' });
    await central.call('PutRule', { Name: 'all', EventBusName: 'rcp-central', EventPattern: JSON.stringify({ source: ['aws.secretsmanager'] }) });
    await central.call('PutTargets', { Rule: 'all', EventBusName: 'rcp-central', Targets: [{ Id: 'fn', Arn: `arn:aws:lambda:${REGION}:${CENTRAL}:function:compliance` }] });
    await forwardFrom(member);
    await member.delivery.accept([rotationEvent(MEMBER)], 'default');
    await settle([member, central]);
    expect(central.received).toHaveLength(1);

    await central.call('RemovePermission', { EventBusName: 'rcp-central', StatementId: 'member' });
    await member.delivery.accept([{ ...rotationEvent(MEMBER), id: 'second' }], 'default');
    await settle([member, central]);
    expect(central.received).toHaveLength(1);
    expect(member.delivery.deadLetters()).toHaveLength(1);
  });
});

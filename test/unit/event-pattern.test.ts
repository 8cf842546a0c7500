import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesEvent, parseEventPattern } from '../../infra/local/cloud/services/eventbridge/event-pattern.ts';

const matches = (pattern: object, event: object) => matchesEvent(parseEventPattern(JSON.stringify(pattern)), event);

// The user guide's example events.
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const ruler = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', 'instance-id': 'i-000000aaaaaa00000', state: 'running' },
};
const autoscaling = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

describe('event patterns: the documented examples', () => {
  it('matches source, detail-type and nested detail fields, ignoring fields the pattern does not name', () => {
    expect(matches({ source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } }, ec2)).toBe(true);
    expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } }, ec2)).toBe(false);
    expect(matches({ account: ['111122223333'], region: ['us-west-1'] }, ec2)).toBe(true);
    expect(matches({ detail: { missing: ['x'] } }, ec2)).toBe(false);
  });

  it('treats the values of a field as alternatives', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2)).toBe(true);
    expect(matches({ source: ['aws.s3', 'aws.fargate'] }, ec2)).toBe(false);
  });

  it('matches an event array when it shares any value with the pattern', () => {
    const pattern = {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [] })).toBe(false);
  });

  it('matches null and the empty string, and does not take one for the other', () => {
    expect(matches({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
    expect(matches({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
    expect(matches({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, autoscaling)).toBe(false);
  });

  it('matches numbers and booleans exactly, never their string forms', () => {
    expect(matches({ detail: { 'c-count': [5] } }, ruler)).toBe(true);
    expect(matches({ detail: { 'c-count': ['5'] } }, ruler)).toBe(false);
    expect(matches({ detail: { on: [true] } }, { detail: { on: true } })).toBe(true);
    expect(matches({ detail: { on: ['true'] } }, { detail: { on: true } })).toBe(false);
  });

  it('prefix, suffix and their ignore-case forms', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, ruler)).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-03' }] }, ruler)).toBe(false);
    expect(matches({ source: [{ suffix: 'ec2' }] }, ruler)).toBe(true);
    expect(matches({ detail: { FileName: [{ suffix: '.png' }] } }, { detail: { FileName: 'a.PNG' } })).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'a.PNG' } })).toBe(true);
    expect(matches({ detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'eventbridge' } })).toBe(true);
    expect(matches({ detail: { n: [{ prefix: '1' }] } }, { detail: { n: 12 } })).toBe(false);
  });

  it('equals-ignore-case', () => {
    expect(matches({ source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, ruler)).toBe(true);
    expect(matches({ source: [{ 'equals-ignore-case': 'aws.ec' }] }, ruler)).toBe(false);
  });

  it('wildcard, with escaped asterisks and backslashes', () => {
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' })).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' })).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleServices' })).toBe(false);
    expect(matches({ detail: { path: [{ wildcard: '*/lib/*' }] } }, { detail: { path: 'usr/lib/x.so' } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a\\*b' }] } }, { detail: { name: 'a*b' } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a\\*b' }] } }, { detail: { name: 'axxb' } })).toBe(false);
    expect(matches({ detail: { name: [{ wildcard: 'a\\\\b' }] } }, { detail: { name: 'a\\b' } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a.b' }] } }, { detail: { name: 'axb' } })).toBe(false);
  });

  it('anything-but: a value, a list of strings or numbers, a prefix, a suffix, ignoring case, a wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ruler)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } }, ruler)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ruler)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, ruler)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, ruler)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ruler)).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [301.8] }] } }, ruler)).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ruler)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, ruler)).toBe(false);
    expect(matches({ detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, { detail: { FileName: 'a.png' } })).toBe(false);
    expect(matches({ detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, { detail: { FileName: 'a.jpg' } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, ruler)).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Pending'] } }] } }, ruler)).toBe(true);
    expect(matches({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { detail: { FilePath: 'usr/lib/x' } })).toBe(false);
    expect(matches({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { detail: { FilePath: 'usr/bin/x' } })).toBe(true);
  });

  it('anything-but needs the field to be there', () => {
    expect(matches({ detail: { absent: [{ 'anything-but': 'x' }] } }, ruler)).toBe(false);
  });

  it('numeric ranges and equality', () => {
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, ruler)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 5] }] } }, ruler)).toBe(false);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, ruler)).toBe(true);
    expect(matches({ detail: { state: [{ numeric: ['>', 0] }] } }, ruler)).toBe(false);
  });

  it('IP address ranges, IPv4 and IPv6', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ruler)).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ruler)).toBe(false);
    expect(matches({ detail: { ip: [{ cidr: '2001:db8::/32' }] } }, { detail: { ip: '2001:db8::1' } })).toBe(true);
    expect(matches({ detail: { ip: [{ cidr: '2001:db8::/32' }] } }, { detail: { ip: 'not an ip' } })).toBe(false);
  });

  it('exists works on leaves only: an object-valued field does not "exist"', () => {
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, ruler)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, ruler)).toBe(false);
    expect(matches({ detail: { x: [{ exists: false }] } }, { source: 'no detail at all' })).toBe(true);
    expect(matches({ detail: { x: [{ exists: true }] } }, { detail: { x: null } })).toBe(true);
  });

  it('the complex example combining filters', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matches(pattern, ruler)).toBe(true);
    expect(matches(pattern, { ...ruler, detail: { ...ruler.detail, 'd-count': 10 } })).toBe(false);
  });

  it('$or across fields, nested, and in parallel with other $or', () => {
    const metrics = (detail: object, extra: object = {}) => ({ source: 'aws.cloudwatch', ...extra, detail });
    const pattern = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] };
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
    const parallel = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(matches(parallel, metrics({ source: 'aws.cloudwatch' }, { namespace: 'AWS/EC2' }))).toBe(true);
    expect(matches(parallel, metrics({ source: 'elsewhere' }, { namespace: 'AWS/EC2' }))).toBe(false);
    const nested = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };
    expect(matches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1 })).toBe(false);
    expect(matches(nested, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('matches fields under one pattern object within the same array element', () => {
    const event = { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] };
    expect(matches({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
    const nested = { employees: [[{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]] };
    expect(matches({ employees: { firstName: ['Peter'] } }, nested)).toBe(true);
  });

  it('matches what the product routes: Secrets Manager rotation events forwarded from member accounts', () => {
    const rotation = {
      version: '0',
      id: 'e1',
      'detail-type': 'AWS Service Event via CloudTrail',
      source: 'aws.secretsmanager',
      account: '222233334444',
      time: '2026-01-05T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { eventSource: 'secretsmanager.amazonaws.com', eventName: 'RotationSucceeded', additionalEventData: { SecretId: 'arn:aws:secretsmanager:eu-west-1:222233334444:secret:db-AbCdEf' } },
    };
    const pattern = { source: ['aws.secretsmanager'], 'detail-type': ['AWS Service Event via CloudTrail'], detail: { eventName: [{ prefix: 'Rotation' }] } };
    expect(matches(pattern, rotation)).toBe(true);
    expect(matches({ ...pattern, account: [{ 'anything-but': '222233334444' }] }, rotation)).toBe(false);
  });
});

describe('invalid patterns', () => {
  const refused = [
    ['not JSON', '{source: aws}'],
    ['an array at the top', '["aws.ec2"]'],
    ['a bare value instead of an array', '{"source":"aws.ec2"}'],
    ['an empty pattern', '{}'],
    ['an empty array', '{"source":[]}'],
    ['a nested array', '{"source":[["aws.ec2"]]}'],
    ['an unknown operator', '{"source":[{"contains":"ec2"}]}'],
    ['two operators in one object', '{"source":[{"prefix":"a","suffix":"b"}]}'],
    ['a non-string prefix', '{"source":[{"prefix":1}]}'],
    ['a non-boolean exists', '{"source":[{"exists":"yes"}]}'],
    ['a mixed anything-but list', '{"source":[{"anything-but":["a",1]}]}'],
    ['an empty anything-but list', '{"source":[{"anything-but":[]}]}'],
    ['anything-but with an unknown operator', '{"source":[{"anything-but":{"numeric":[">",1]}}]}'],
    ['consecutive wildcards', '{"source":[{"wildcard":"a**b"}]}'],
    ['a bad escape in a wildcard', '{"source":[{"wildcard":"a\\\\nb"}]}'],
    ['an unknown numeric operator', '{"n":[{"numeric":["!=",1]}]}'],
    ['a numeric operand out of range', '{"n":[{"numeric":[">",6e9]}]}'],
    ['a numeric range with two lower bounds', '{"n":[{"numeric":[">",1,">",2]}]}'],
    ['a numeric range upside down', '{"n":[{"numeric":[">",5,"<",1]}]}'],
    ['a malformed CIDR', '{"ip":[{"cidr":"10.0.0.0/33"}]}'],
  ] as const;
  it.each(refused)('refuses %s with InvalidEventPatternException', (_what, text) => {
    expect(() => parseEventPattern(text)).toThrow(expect.objectContaining({ code: 'InvalidEventPatternException', message: expect.stringMatching(/^Event pattern is not valid\. Reason: /) }));
  });
});

describe('event pattern properties', () => {
  const field = fc.string({ minLength: 1, maxLength: 12 });

  it('an exact string matches that string and no other', () => {
    fc.assert(
      fc.property(field, field, (wanted, other) => {
        expect(matches({ detail: { k: [wanted] } }, { detail: { k: wanted } })).toBe(true);
        expect(matches({ detail: { k: [wanted] } }, { detail: { k: other } })).toBe(wanted === other);
      }),
    );
  });

  it('prefix and suffix agree with startsWith and endsWith', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), fc.string({ maxLength: 12 }), (affix, value) => {
        expect(matches({ k: [{ prefix: affix }] }, { k: value })).toBe(value.startsWith(affix));
        expect(matches({ k: [{ suffix: affix }] }, { k: value })).toBe(value.endsWith(affix));
      }),
    );
  });

  it('anything-but a list matches exactly the values outside it', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: -50, max: 50 }), (excluded, value) => {
        expect(matches({ k: [{ 'anything-but': excluded }] }, { k: value })).toBe(!excluded.includes(value));
      }),
    );
  });

  it('a numeric range matches exactly the numbers inside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 500 }), fc.double({ min: -2000, max: 2000, noNaN: true }), (low, width, value) => {
        const high = low + width;
        expect(matches({ k: [{ numeric: ['>=', low, '<', high] }] }, { k: value })).toBe(value >= low && value < high);
      }),
    );
  });

  it('a wildcard made by starring parts of a string matches that string', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9/.]{1,4}$/), { minLength: 1, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (parts, starred) => {
        const value = parts.join('');
        const pattern = parts.map((part, i) => (starred[i] ? '*' : part)).join('').replace(/\*+/g, '*');
        expect(matches({ k: [{ wildcard: pattern }] }, { k: value })).toBe(true);
      }),
    );
  });
});

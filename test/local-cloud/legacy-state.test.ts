import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetSecretValueCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, awsClients } from '../support/aws-clients.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';

// A state folder from before accounts and regions (one state.json) is moved into the default
// account-region at the first start, so `npm start` users keep their secrets.
let cloud: CloudProcess | undefined;
afterAll(() => cloud?.stop());

describe('a state folder of the previous layout', () => {
  it('is moved into the default account-region, secrets, functions, buses, events and clock included', async () => {
    const stateDir = await tempStateDir('legacy');
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:old-AbCdEf';
    const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:old-fn';
    await writeFile(
      join(stateDir, 'state.json'),
      JSON.stringify({
        version: 1,
        clockOffsetMs: 5 * 86_400_000,
        secrets: [
          {
            arn,
            name: 'old',
            created: Date.now(),
            lastChanged: Date.now(),
            tags: [{ Key: 'team', Value: 'old' }],
            versions: [{ id: '11111111-1111-1111-1111-111111111111', created: Date.now(), stages: ['AWSCURRENT'], secretString: 'kept' }],
            rotation: { enabled: false },
          },
        ],
        functions: [
          {
            name: 'old-fn',
            arn: fnArn,
            source: { kind: 'url', url: 'http://127.0.0.1:9/' },
            timeoutSeconds: 30,
            statements: [{ Sid: 'sm', Effect: 'Allow', Principal: { Service: 'secretsmanager.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: fnArn }],
            revisionId: 'r1',
            lastModified: Date.now(),
          },
        ],
        buses: [{ name: 'default', arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default', created: Date.now(), lastModified: Date.now() }],
      }),
    );
    await mkdir(join(stateDir, 'events'));
    const event = { version: '0', id: 'old-event', 'detail-type': 'kept', source: 'rcp.old', account: '000000000000', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail: {}, 'event-bus-name': 'default' };
    await writeFile(join(stateDir, 'events', 'default.jsonl'), `${JSON.stringify(event)}\n`);

    cloud = await startCloudProcess({ stateDir });
    const clients = awsClients(cloud.url);
    expect((await clients.sm.send(new GetSecretValueCommand({ SecretId: 'old' }))).SecretString).toBe('kept');
    expect((await clients.sm.send(new DescribeSecretCommand({ SecretId: arn }))).Tags).toEqual([{ Key: 'team', Value: 'old' }]);
    expect((await clients.lambda.send(new GetPolicyCommand({ FunctionName: 'old-fn' }))).Policy).toContain('secretsmanager.amazonaws.com');
    expect((await admin<{ events: Array<{ id: string }> }>(cloud.url, '/_local/events?source=rcp.old')).events.map((e) => e.id)).toEqual(['old-event']);
    expect(Date.parse((await admin<{ now: string }>(cloud.url, '/_local/clock')).now) - Date.now()).toBeGreaterThan(4.9 * 86_400_000);
    expect((await readdir(stateDir)).sort()).toEqual(['accounts', 'cloud', 'state.json.migrated']);
  });
});

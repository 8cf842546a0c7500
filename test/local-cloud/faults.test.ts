import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, awsClients, uniqueName } from '../support/aws-clients.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';

// Faults are global to a cloud: these tests get their own so they disturb nobody else.
let cloud: CloudProcess;
let sm: ReturnType<typeof awsClients>['sm'];

beforeAll(async () => {
  cloud = await startCloudProcess({ stateDir: await tempStateDir('faults') });
  sm = awsClients(cloud.url).sm;
});
afterAll(() => cloud?.stop());

describe('fault injection', () => {
  it('is off by default', async () => {
    expect(await admin(cloud.url, '/_local/faults')).toEqual({});
  });

  it('injects an error a set number of times, then lets calls through', async () => {
    const name = uniqueName('f');
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
    await admin(cloud.url, '/_local/faults', { method: 'PUT', body: { 'secretsmanager:GetSecretValue': { errorRate: 1, times: 2 } } });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'InternalServiceError' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v');
    // the SDK's standard retries ride over a transient fault
    await admin(cloud.url, '/_local/faults', { method: 'PUT', body: { 'secretsmanager:GetSecretValue': { errorRate: 1, times: 1 } } });
    const retrying = awsClients(cloud.url, { maxAttempts: 3 }).sm;
    expect((await retrying.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v');
    await admin(cloud.url, '/_local/faults', { method: 'DELETE' });
  });

  it('adds latency', async () => {
    await admin(cloud.url, '/_local/faults', { method: 'PUT', body: { 'secretsmanager:*': { latencyMs: 300 } } });
    const started = Date.now();
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nothing-here' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await admin(cloud.url, '/_local/faults', { method: 'DELETE' });
  });

  it('throttles writes at the 50 per second quota with ThrottlingException', async () => {
    const name = uniqueName('t');
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
    await admin(cloud.url, '/_local/faults', { method: 'PUT', body: { '*': { throttle: true } } });
    // Align to the start of a wall-clock second so the burst lands in one quota window.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    const results = await Promise.allSettled(Array.from({ length: 80 }, () => sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'w' }))));
    const throttled = results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException').length;
    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    expect(succeeded).toBeLessThanOrEqual(50);
    expect(succeeded).toBeGreaterThan(0);
    expect(throttled).toBe(80 - succeeded);
    await admin(cloud.url, '/_local/faults', { method: 'DELETE' });
  });

  it('counts the quota per account and region, as AWS does', async () => {
    const accounts = ['123456789012', '210987654321'];
    const clients = accounts.map((accessKeyId) => awsClients(cloud.url, { accessKeyId }).sm);
    const names = await Promise.all(clients.map(async (client) => {
      const name = uniqueName('q');
      await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
      return name;
    }));
    await admin(cloud.url, '/_local/faults', { method: 'PUT', body: { '*': { throttle: true } } });
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    const results = await Promise.all(
      clients.map((client, i) => Promise.allSettled(Array.from({ length: 45 }, () => client.send(new PutSecretValueCommand({ SecretId: names[i], SecretString: 'w' }))))),
    );
    await admin(cloud.url, '/_local/faults', { method: 'DELETE' });
    // 90 writes in one second, but 45 per account: none over either account's 50
    for (const settled of results) expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('rejects an invalid configuration with the reason', async () => {
    const response = await fetch(`${cloud.url}/_local/faults`, { method: 'PUT', body: JSON.stringify({ '*': { errorRate: 2 } }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('errorRate');
  });

  it('counts calls per operation', async () => {
    await admin(cloud.url, '/_local/calls', { method: 'DELETE' });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nothing-here' }))).rejects.toThrow();
    expect(await admin(cloud.url, '/_local/calls')).toEqual({ 'secretsmanager:GetSecretValue': 1 });
  });
});

import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../services/api/composition.ts';
import { createOnboardingHandler } from '../../services/onboarding/composition.ts';
import { awsClients, uniqueName } from '../support/aws-clients.ts';
import { startCloudProcess, tempStateDir, type CloudProcess } from '../support/cloud-process.ts';

// The Lambda entry points themselves, built by their composition roots from an environment (as
// Lambda gives it), against a local cloud over HTTP.
let cloud: CloudProcess;
let env: Record<string, string>;

beforeAll(async () => {
  cloud = await startCloudProcess({ stateDir: await tempStateDir('handlers') });
  env = {
    AWS_ENDPOINT_URL: cloud.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: '000000000000',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_MAX_ATTEMPTS: '1',
    RCP_ACCOUNT_ID: '000000000000',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:rcp-onboarding',
    FLEET_ROTATOR_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:fleet-rotator',
    RCP_TEAM_PRINCIPALS: JSON.stringify({ 'arn:aws:sts::000000000000:assumed-role/team-a-*': 'team-a' }),
  };
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
});

const context = { awsRequestId: 'test', functionName: 'f', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function apiEvent(method: string, path: string, userArn: string | null): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    headers: {},
    queryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { identity: { userArn } },
  } as unknown as APIGatewayProxyEvent;
}

describe('the API Lambda', () => {
  it('maps the IAM caller to a team and answers from the contract, problems included', async () => {
    const handler = createApiHandler(env);
    expect((await handler(apiEvent('GET', '/v1/health', null), context)).statusCode).toBe(200);
    const listed = await handler(apiEvent('GET', '/v1/onboardings', 'arn:aws:sts::000000000000:assumed-role/team-a-ci/run-1'), context);
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body)).toEqual({ items: [] });
    const stranger = await handler(apiEvent('GET', '/v1/onboardings', 'arn:aws:sts::000000000000:assumed-role/mallory/x'), context);
    expect(stranger.statusCode).toBe(403);
    expect(stranger.headers?.['content-type']).toBe('application/problem+json');
    const unsigned = await handler(apiEvent('GET', '/v1/onboardings', null), context);
    expect(unsigned.statusCode).toBe(401);
    const missing = await handler(apiEvent('GET', '/v1/secrets/no%2Fsuch/rotation', 'arn:aws:sts::000000000000:assumed-role/team-a-ci/run-1'), context);
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body).detail).toContain('"no/such"');
  });
});

describe('an onboarding step Lambda', () => {
  it('runs the step its ONBOARDING_STEP names, with the dependencies its environment describes', async () => {
    const name = uniqueName('handler');
    const { ARN } = await awsClients(cloud.url).sm.send(new CreateSecretCommand({ Name: name, SecretString: '{}', Tags: [{ Key: 'rcp:team', Value: 'team-a' }] }));
    const validate = createOnboardingHandler({ ...env, ONBOARDING_STEP: 'Validate' });
    const state = { onboardingId: 'onb-000000000000000000000001', actor: 'test', request: { secretId: name, schedule: 'rate(7 days)', team: 'team-a' } };
    expect(await validate(state as never, context)).toMatchObject({ secretArn: ARN, rules: { ScheduleExpression: 'rate(7 days)' }, claimed: true, tagKeysBefore: ['rcp:team'] });
    await expect(validate({ ...state, onboardingId: 'onb-000000000000000000000002', request: { ...state.request, team: 'team-b' } } as never, context)).rejects.toMatchObject({ name: 'SecretNotFound' });
  });

  it('refuses to start as a step the workflow does not have', () => {
    expect(() => createOnboardingHandler({ ...env, ONBOARDING_STEP: 'Nonsense' })).toThrow(/not a step of the workflow/);
  });
});

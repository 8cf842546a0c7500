import { describe, expect, it } from 'vitest';
import { createApi } from '../../services/api/app.ts';
import { bearerCaller, parseTokens } from '../../services/api/auth.ts';
import type { ApiDeps } from '../../services/api/deps.ts';

// The API's transport-neutral core, as the Lambda sees requests from API Gateway (headers in the
// client's own case), with the local bearer-token authentication. Domain calls are stubbed: this is
// about routing, validation, authentication and how failures become problems.
const tokens = parseTokens('team-a:ok-token');
const created: unknown[] = [];
let failWith: Error | undefined;
const logged: string[] = [];
const deps = {
  log: (message: string) => logged.push(message),
  records: {
    get: async () => {
      if (failWith) throw failWith;
      return undefined;
    },
  },
} as unknown as ApiDeps;
const api = createApi(deps, {
  authenticate: (request) => bearerCaller(tokens, request.headers.authorization),
  createOnboarding: async (input) => {
    created.push(input);
    return { onboardingId: 'onb-000000000000000000000000', status: 'pending', secretArn: 'arn:x', team: 'team-a', schedule: input.request.schedule, steps: [], createdAt: 'now', updatedAt: 'now', links: { self: '/v1/onboardings/onb-000000000000000000000000' } };
  },
});
const get = (path: string, authorization = 'Bearer ok-token') => api({ method: 'GET', path, query: {}, headers: { authorization } });
const onboarding = '/v1/onboardings/onb-000000000000000000000000';

describe('the API core', () => {
  it('accepts a JSON body whatever the case of its header names', async () => {
    const response = await api({
      method: 'POST',
      path: '/v1/onboardings',
      query: {},
      headers: { Authorization: 'Bearer ok-token', 'Content-Type': 'application/json', 'Idempotency-Key': 'key-12345678' },
      body: JSON.stringify({ secretId: 's', schedule: 'rate(7 days)' }),
    });
    expect(response.statusCode).toBe(202);
    expect(response.headers.location).toBe('/v1/onboardings/onb-000000000000000000000000');
    expect(created).toHaveLength(1);
  });

  it('refuses a body that is not JSON with 415, and answers unknown routes with a 404 problem', async () => {
    const notJson = await api({ method: 'POST', path: '/v1/onboardings', query: {}, headers: { authorization: 'Bearer ok-token', 'content-type': 'text/plain', 'idempotency-key': 'key-12345678' }, body: 'x' });
    expect(notJson.statusCode).toBe(415);
    expect(notJson.headers['content-type']).toBe('application/problem+json');
    const unknown = await get('/v2/nothing');
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ status: 404, type: expect.stringMatching(/no-such-route$/) });
  });

  it('answers a missing or unknown token with 401 and a WWW-Authenticate challenge, and health without any', async () => {
    for (const authorization of ['Bearer wrong', '']) {
      const response = await get('/v1/onboardings', authorization);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(JSON.parse(response.body).type).toMatch(/unauthenticated$/);
    }
    expect((await get('/v1/health', '')).statusCode).toBe(200);
  });

  it('answers a malformed percent-encoding with 400 and decodes a path parameter only once', async () => {
    for (const path of ['/v1/onboardings/%', '/v1/secrets/%E0%A4%A/rotation']) {
      const response = await get(path);
      expect(response.statusCode, path).toBe(400);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
    // %252F decodes once to "%2F", which no secret id contains: refused by the contract, never turned into "/"
    const twice = await get('/v1/secrets/a%252Fb/rotation');
    expect(twice.statusCode).toBe(400);
    expect(JSON.parse(twice.body).detail).toContain('/path/secretId');
  });

  it('turns AWS throttling into 429 and a passing AWS fault into 503, both with Retry-After; anything else into a generic 500', async () => {
    const cases: Array<[Error, number]> = [
      [Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }), 429],
      [Object.assign(new Error('boom'), { name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } }), 503],
      [new TypeError('secret internals'), 500],
    ];
    for (const [error, status] of cases) {
      failWith = error;
      const response = await get(onboarding);
      expect(response.statusCode).toBe(status);
      if (status !== 500) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      else expect(response.body).not.toContain('secret internals');
    }
    failWith = undefined;
    expect(logged).toContain('request failed');
  });
});

import { describe, expect, it } from 'vitest';
import { createApi } from '../../services/api/app.ts';
import type { ApiDeps } from '../../services/api/onboarding-service.ts';

// The API's transport-neutral core, as the Lambda sees requests from API Gateway (headers in the
// client's own case). Domain calls are stubbed: this is about routing, validation and problems.
const caller = { team: 'team-a', actor: 'test' };
const created: unknown[] = [];
const api = createApi({} as ApiDeps, {
  authenticate: (request) => {
    if (request.headers.authorization !== 'Bearer ok') throw Object.assign(new Error('no'), { name: 'Unauthorized' });
    return caller;
  },
  createOnboarding: async (input) => {
    created.push(input);
    return { onboardingId: 'onb-000000000000000000000000', status: 'pending', secretArn: 'arn:x', team: 'team-a', schedule: input.request.schedule, steps: [], createdAt: 'now', updatedAt: 'now', links: { self: '/v1/onboardings/onb-000000000000000000000000' } };
  },
});

describe('the API core', () => {
  it('accepts a JSON body whatever the case of its header names', async () => {
    const response = await api({
      method: 'POST',
      path: '/v1/onboardings',
      query: {},
      headers: { Authorization: 'Bearer ok', 'Content-Type': 'application/json', 'Idempotency-Key': 'key-12345678' },
      body: JSON.stringify({ secretId: 's', schedule: 'rate(7 days)', team: 'team-a' }),
    });
    expect(response.statusCode).toBe(202);
    expect(response.headers.location).toBe('/v1/onboardings/onb-000000000000000000000000');
    expect(created).toHaveLength(1);
  });

  it('refuses a body that is not JSON with 415, and answers unknown routes with a 404 problem', async () => {
    const notJson = await api({ method: 'POST', path: '/v1/onboardings', query: {}, headers: { authorization: 'Bearer ok', 'content-type': 'text/plain', 'idempotency-key': 'key-12345678' }, body: 'x' });
    expect(notJson.statusCode).toBe(415);
    expect(notJson.headers['content-type']).toBe('application/problem+json');
    const unknown = await api({ method: 'GET', path: '/v2/nothing', query: {}, headers: { authorization: 'Bearer ok' } });
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ status: 404, type: expect.stringMatching(/no-such-route$/) });
  });

  it('hides an unexpected failure behind a generic 500 problem', async () => {
    const response = await api({ method: 'GET', path: '/v1/onboardings', query: {}, headers: { authorization: 'Bearer wrong' } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('Unauthorized');
  });
});

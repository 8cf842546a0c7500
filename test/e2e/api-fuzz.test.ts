import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../services/api/app.ts';
import { startLocalStack, TOKENS, type LocalStack } from '../support/local-stack.ts';
import { mutated, valid, type Schema } from '../support/schema-arbitrary.ts';

// Thousands of requests derived from openapi.yaml — valid, mutated and hostile — against npm start
// over raw HTTP: the server never answers 5xx, and every 4xx is a problem+json that says what to fix.
let stack: LocalStack;
const contract = loadContract() as unknown as {
  paths: Record<string, Record<string, { parameters?: Array<{ $ref?: string; name?: string; in?: string; schema?: Schema }>; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, { name: string; in: string; schema: Schema }> };
};
const statuses = new Map<number, number>();

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'fuzz' });
}, 120_000);

afterAll(async () => {
  const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
  console.log(`fuzzed requests by status: ${counts.join(', ')}`);
  await stack?.stop();
});

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function send(req: RawRequest): Promise<{ status: number; type: string; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

const resolveParameter = (p: { $ref?: string; name?: string; in?: string; schema?: Schema }) => (p.$ref ? contract.components.parameters[p.$ref.split('/').pop()!]! : (p as { name: string; in: string; schema: Schema }));

/** Each operation of the contract as a generator of requests to it, good and bad. */
const operations = Object.entries(contract.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'put', 'delete'].includes(method))
    .map(([method, operation]) => {
      const parameters = [...((item as { parameters?: [] }).parameters ?? []), ...(operation.parameters ?? [])].map(resolveParameter);
      const value = (schema: Schema) => fc.oneof({ weight: 2, arbitrary: valid(schema, contract) }, { weight: 2, arbitrary: mutated(schema, contract) }).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      // Raw: only what an HTTP client must escape (spaces, controls, non-ASCII); `%` and `/` stay as they are.
      const raw = (s: string) => s.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
      const encode = fc.constantFrom<(s: string) => string>(encodeURIComponent, raw, (s) => encodeURIComponent(encodeURIComponent(s)), (s) => `${encodeURIComponent(s)}%`, (s) => `${raw(s)}%zz`);
      const pathParams = fc.record(Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, fc.tuple(value(p.schema), encode).map(([v, e]) => e(v))])));
      const query = fc.record(Object.fromEntries(parameters.filter((p) => p.in === 'query').map((p) => [p.name, value(p.schema)])), { requiredKeys: [] });
      const idempotency = fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,40}$/), fc.string({ maxLength: 200 })), { nil: undefined });
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      const body = bodySchema
        ? fc.oneof(valid(bodySchema, contract).map((v) => JSON.stringify(v)), mutated(bodySchema, contract).map((v) => JSON.stringify(v)), fc.string({ maxLength: 100 }), fc.constant(undefined))
        : fc.option(fc.string({ maxLength: 50 }), { nil: undefined, freq: 5 });
      return fc.record({ pathParams, query, idempotency, body }).map(({ pathParams: params, query: q, idempotency: key, body: b }) => ({
        method: method.toUpperCase(),
        path: template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '') + (Object.keys(q).length ? `?${new URLSearchParams(q as Record<string, string>)}` : ''),
        key,
        body: b,
      }));
    }),
);

const anyRequest = fc
  .tuple(
    fc.oneof({ weight: 8, arbitrary: fc.oneof(...operations) }, { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), path: fc.webPath(), key: fc.constant(undefined), body: fc.constant(undefined) }) }),
    fc.constantFrom(`Bearer ${TOKENS.a}`, `Bearer ${TOKENS.b}`, 'Bearer wrong', 'Basic dXNlcjpwYXNz', '', 'Bearer'),
    fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'APPLICATION/JSON', ''),
  )
  .map(([op, authorization, contentType]): RawRequest => ({
    method: op.method,
    path: op.path.startsWith('/') ? op.path : `/${op.path}`,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(op.body !== undefined && contentType ? { 'content-type': contentType } : {}),
      ...(op.key !== undefined ? { 'idempotency-key': op.key.replace(/[^\x20-\x7e]/g, '') } : {}),
    },
    body: op.body,
  }));

function checkAnswer(req: RawRequest, res: Awaited<ReturnType<typeof send>>) {
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const where = `${req.method} ${req.path.slice(0, 200)} -> ${res.status} ${res.body.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.type, where).toBe('application/problem+json');
    const problem = JSON.parse(res.body) as { type: string; title: string; status: number; detail: string };
    expect(problem.status, where).toBe(res.status);
    expect(problem.type, where).toMatch(/^https:\/\/.+\/problems\/[a-z-]+$/);
    expect(problem.detail.length, where).toBeGreaterThan(10);
  }
}

describe('the API under fuzzed requests', () => {
  it('answers thousands of requests derived from the contract without a 5xx, every 4xx a problem that says what to fix', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (req) => checkAnswer(req, await send(req))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 3000), endOnFailure: true },
    );
  }, 600_000);

  it('answers a URL or headers larger than the server takes with a 431 problem, and a malformed request with a 400 problem', async () => {
    const long = await send({ method: 'GET', path: `/v1/secrets/${encodeURIComponent('😀'.repeat(2048))}/rotation`, headers: { authorization: `Bearer ${TOKENS.a}` } });
    checkAnswer({ method: 'GET', path: '/v1/secrets/<emoji>/rotation', headers: {} }, long);
    expect(long.status).toBe(431);
    const widest = await send({ method: 'GET', path: `/v1/secrets/${'a'.repeat(2048)}/rotation`, headers: { authorization: `Bearer ${TOKENS.a}` } });
    expect(widest.status, 'the longest secret id the contract allows still reaches the API').toBe(404);
  });
});

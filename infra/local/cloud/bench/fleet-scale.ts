import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

/**
 * The local cloud at fleet scale, measured from another process through the real SDK:
 *
 * - writes: 2,000 secrets in one account-region under a sustained rotation-like mix
 *   (PutSecretValue, DescribeSecret, UpdateSecretVersionStage, GetSecretValue) at a fixed rate,
 *   every write durable before its answer: calls/s achieved and latency percentiles;
 * - reads: ListSecrets over 100,000 secrets (20 accounts x 2 regions x 2,500), page by page
 *   (100 a page), every account-region paged at once: pages/s in total.
 *
 * The client is the AWS SDK (`--client sdk`, what applications use) or a minimal JSON-protocol
 * client over keep-alive HTTP (`--client http`, the default), which costs the bench process far
 * less CPU: on two cores shared by client and cloud, the SDK's own work would be measured instead
 * of the cloud's.
 *
 * `npx tsx infra/local/cloud/bench/fleet-scale.ts [--client http|sdk] [--accounts 20] [--per-partition 2500] [--rate 250] [--seconds 20] [--cpu-prof dir]`
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const MAIN = resolve(HERE, '../main.ts');

export interface FleetScaleOptions {
  client: 'sdk' | 'http';
  accounts: number;
  regions: string[];
  perPartition: number;
  writeSecrets: number;
  rate: number;
  seconds: number;
  cpuProfileDir?: string;
}

export interface FleetScaleFigures {
  seeded: { secrets: number; seconds: number; perSecond: number };
  writes: { target: number; callsPerSecond: number; p50: number; p99: number; max: number; calls: number };
  listing: Record<'firstPass' | 'secondPass', { pages: number; seconds: number; pagesPerSecond: number; p50: number; p99: number }>;
}

async function startCloud(stateDir: string, cpuProfileDir?: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = [...(cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : []), '--import', 'tsx', MAIN, '--port', '0', '--state-dir', stateDir, '--quiet'];
  const child = spawn(process.execPath, args, { env: { ...process.env, LOCAL_CLOUD_SCHEDULER_MS: '1000' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolvePromise, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolvePromise(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`local cloud exited with ${code}: ${out}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The Secrets Manager calls the bench makes, however they travel. */
interface Calls {
  create(name: string, value: string): Promise<unknown>;
  put(id: string, value: string, stages: string[]): Promise<{ VersionId?: string }>;
  describe(id: string): Promise<{ VersionIdsToStages?: Record<string, string[]> }>;
  moveCurrent(id: string, to: string | undefined, from: string | undefined): Promise<unknown>;
  get(id: string): Promise<unknown>;
  list(nextToken: string | undefined): Promise<{ NextToken?: string; SecretList?: unknown[] }>;
}

function sdkCalls(url: string, account: string, region: string): Calls {
  const sm = new SecretsManagerClient({ endpoint: url, region, credentials: { accessKeyId: account, secretAccessKey: 'x' }, maxAttempts: 1 });
  return {
    create: (Name, SecretString) => sm.send(new CreateSecretCommand({ Name, SecretString })),
    put: (SecretId, SecretString, VersionStages) => sm.send(new PutSecretValueCommand({ SecretId, SecretString, VersionStages })),
    describe: (SecretId) => sm.send(new DescribeSecretCommand({ SecretId })),
    moveCurrent: (SecretId, MoveToVersionId, RemoveFromVersionId) => sm.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId, RemoveFromVersionId })),
    get: (SecretId) => sm.send(new GetSecretValueCommand({ SecretId })),
    list: (NextToken) => sm.send(new ListSecretsCommand({ MaxResults: 100, NextToken })),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
/** Secrets Manager's JSON 1.1 protocol by hand: a SigV4-shaped Authorization header names the account and region. */
function httpCalls(url: string, account: string, region: string): Calls {
  const { hostname, port } = new URL(url);
  const call = <T>(operation: string, input: object): Promise<T> =>
    new Promise((resolvePromise, reject) => {
      const payload = JSON.stringify(input);
      const req = request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'x-amz-target': `secretsmanager.${operation}`,
            'content-type': 'application/x-amz-json-1.1',
            'content-length': Buffer.byteLength(payload),
            authorization: `AWS4-HMAC-SHA256 Credential=${account}/20260101/${region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200) resolvePromise(JSON.parse(text) as T);
            else reject(new Error(`${operation} answered ${res.statusCode}: ${text}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    create: (Name, SecretString) => call('CreateSecret', { Name, SecretString, ClientRequestToken: crypto.randomUUID() }),
    put: (SecretId, SecretString, VersionStages) => call('PutSecretValue', { SecretId, SecretString, VersionStages, ClientRequestToken: crypto.randomUUID() }),
    describe: (SecretId) => call('DescribeSecret', { SecretId }),
    moveCurrent: (SecretId, MoveToVersionId, RemoveFromVersionId) => call('UpdateSecretVersionStage', { SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId, RemoveFromVersionId }),
    get: (SecretId) => call('GetSecretValue', { SecretId }),
    list: (NextToken) => call('ListSecrets', { MaxResults: 100, NextToken }),
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function runFleetScaleBench(options: FleetScaleOptions): Promise<FleetScaleFigures> {
  const stateDir = await mkdtemp(join(tmpdir(), 'fleet-scale-'));
  const cloud = await startCloud(stateDir, options.cpuProfileDir);
  const client = (url: string, account: string, region: string) => (options.client === 'sdk' ? sdkCalls(url, account, region) : httpCalls(url, account, region));
  try {
    const accounts = Array.from({ length: options.accounts }, (_, i) => String(100_000_000_000 + i));
    const partitions = accounts.flatMap((account) => options.regions.map((region) => ({ account, region })));

    // Seed: every account-region gets its secrets, created through the API.
    const seedStart = performance.now();
    await pool(partitions, 8, async ({ account, region }) => {
      const sm = client(cloud.url, account, region);
      const indexes = Array.from({ length: options.perPartition }, (_, i) => i);
      await pool(indexes, 16, async (i) => {
        await sm.create(`fleet/app-${i}`, JSON.stringify({ engine: 'postgres', host: `db-${i}`, username: `app${i}`, password: `initial-${i}` }));
      });
    });
    const seededSeconds = (performance.now() - seedStart) / 1000;
    const seededCount = partitions.length * options.perPartition;

    // Writes: rotation-like rounds on the first account-region's secrets, started at a fixed rate.
    const { account, region } = partitions[0]!;
    const sm = client(cloud.url, account, region);
    const latencies: number[] = [];
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await call();
      } finally {
        latencies.push(performance.now() - t);
      }
    };
    const round4 = async (i: number) => {
      const id = `fleet/app-${i % Math.min(options.writeSecrets, options.perPartition)}`;
      const put = await timed(() => sm.put(id, JSON.stringify({ password: `p-${Date.now()}-${i}` }), ['AWSPENDING']));
      const described = await timed(() => sm.describe(id));
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
      await timed(() => sm.moveCurrent(id, put.VersionId, current));
      await timed(() => sm.get(id));
    };
    const roundsPerSecond = options.rate / 4;
    const totalRounds = Math.round(roundsPerSecond * options.seconds);
    const writeStart = performance.now();
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < totalRounds; i++) {
      const due = writeStart + (i / roundsPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(round4(i));
    }
    await Promise.all(inFlight);
    const writeSeconds = (performance.now() - writeStart) / 1000;
    latencies.sort((a, b) => a - b);

    // Listing: every account-region paged through at once, twice: the first pass shapes every
    // secret's entry, the second (an inventory's next scan) finds them cached.
    const listPass = async () => {
      const pageTimes: number[] = [];
      const listStart = performance.now();
      await pool(partitions, partitions.length, async ({ account: a, region: r }) => {
        const lister = client(cloud.url, a, r);
        let NextToken: string | undefined;
        do {
          const t = performance.now();
          const page = await lister.list(NextToken);
          pageTimes.push(performance.now() - t);
          NextToken = page.NextToken;
        } while (NextToken);
      });
      const seconds = (performance.now() - listStart) / 1000;
      pageTimes.sort((a, b) => a - b);
      return { pages: pageTimes.length, seconds: round(seconds, 2), pagesPerSecond: Math.round(pageTimes.length / seconds), p50: round(percentile(pageTimes, 50)), p99: round(percentile(pageTimes, 99)) };
    };
    const firstPass = await listPass();
    const secondPass = await listPass();

    return {
      seeded: { secrets: seededCount, seconds: round(seededSeconds), perSecond: Math.round(seededCount / seededSeconds) },
      writes: {
        target: options.rate,
        callsPerSecond: Math.round(latencies.length / writeSeconds),
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? 0),
        calls: latencies.length,
      },
      listing: { firstPass, secondPass },
    };
  } finally {
    await cloud.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1]! : fallback;
  };
  const figures = await runFleetScaleBench({
    client: arg('client', 'http') === 'sdk' ? 'sdk' : 'http',
    accounts: Number(arg('accounts', '20')),
    regions: ['us-east-1', 'eu-west-1'],
    perPartition: Number(arg('per-partition', '2500')),
    writeSecrets: 2000,
    rate: Number(arg('rate', '250')),
    seconds: Number(arg('seconds', '20')),
    cpuProfileDir: process.argv.includes('--cpu-prof') ? resolve(arg('cpu-prof', '.test-tmp/cpu-prof')) : undefined,
  });
  console.log(JSON.stringify(figures, null, 2));
}

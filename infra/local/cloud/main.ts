import { parseArgs } from 'node:util';
import { faultConfigSchema } from './faults.ts';
import { DEFAULT_PORT, startLocalCloud } from './server.ts';
import { builtinFunctions } from '../functions.ts';
import { ensureRotatorResources, useLocalCloudForInProcessFunctions } from '../rotator-resources.ts';

/** `npm run cloud`: the local cloud alone, for the aws CLI, boto3 or the SDK to talk to. */

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'state-dir': { type: 'string' },
    'clock-scale': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

function numberSetting(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a non-negative number, got "${text}"`);
    process.exit(2);
  }
  return value;
}

let faults;
if (process.env.LOCAL_CLOUD_FAULTS) {
  const parsed = faultConfigSchema.safeParse(JSON.parse(process.env.LOCAL_CLOUD_FAULTS));
  if (!parsed.success) {
    console.error(`LOCAL_CLOUD_FAULTS is not a valid fault configuration: ${parsed.error.message}`);
    process.exit(2);
  }
  faults = parsed.data;
}

const cloud = await startLocalCloud({
  port: numberSetting('LOCAL_CLOUD_PORT', values.port ?? process.env.LOCAL_CLOUD_PORT, DEFAULT_PORT),
  stateDir: values['state-dir'] ?? process.env.LOCAL_CLOUD_DIR ?? '.local-cloud',
  region: process.env.AWS_REGION || undefined,
  clockScale: numberSetting('LOCAL_CLOUD_CLOCK_SCALE', values['clock-scale'] ?? process.env.LOCAL_CLOUD_CLOCK_SCALE, 1),
  schedulerIntervalMs: numberSetting('LOCAL_CLOUD_SCHEDULER_MS', process.env.LOCAL_CLOUD_SCHEDULER_MS, 1000),
  functions: await builtinFunctions(),
  faults,
  logRequests: !values.quiet && process.env.LOCAL_CLOUD_LOG !== '0',
});

useLocalCloudForInProcessFunctions(cloud.url, cloud.region);
await ensureRotatorResources(cloud.url, cloud.region);

console.log(`local cloud listening on ${cloud.url} (account ${cloud.account}, region ${cloud.region})`);
console.log(`  aws --endpoint-url ${cloud.url} secretsmanager list-secrets`);
console.log(`  events: curl ${cloud.url}/_local/events`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    cloud.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`stopping the local cloud failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
}

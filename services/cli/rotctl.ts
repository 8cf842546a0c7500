import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import ora from 'ora';
import { ApiClient, ApiError } from './api-client.ts';

/**
 * rotctl: the REST API from a terminal. RCP_API_URL (default http://127.0.0.1:3000) and RCP_TOKEN.
 * `onboard` shows the workflow's steps as they complete and exits non-zero with the reason on failure.
 */

interface Step {
  step: string;
  outcome: string;
  at: string;
  durationMs?: number;
  message?: string;
}
interface Onboarding {
  onboardingId: string;
  status: string;
  secretArn: string;
  team: string;
  schedule: string;
  currentStep?: string;
  steps: Step[];
  failure?: { step: string; errorClass?: string; reason: string };
  createdAt: string;
}

const client = () => new ApiClient(process.env.RCP_API_URL ?? 'http://127.0.0.1:3000', process.env.RCP_TOKEN);
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const FINAL = new Set(['succeeded', 'failed', 'offboarded']);

function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('give a whole number above 0');
  return value;
}

function stepLine(step: Step): string {
  const mark = step.outcome === 'succeeded' ? '✔' : step.outcome === 'compensated' ? '↺' : '✖';
  const time = step.durationMs !== undefined ? ` (${step.durationMs} ms)` : '';
  return `${mark} ${step.step}${time}${step.message && step.outcome !== 'succeeded' ? ` - ${step.message}` : ''}`;
}

/** Polls the onboarding and prints each step once, as it completes; resolves with the final record. */
async function follow(api: ApiClient, onboardingId: string, json: boolean): Promise<Onboarding> {
  const spinner = json ? undefined : ora({ text: 'waiting for the workflow', stream: process.stdout }).start();
  let shown = 0;
  for (;;) {
    const onboarding = await api.call<Onboarding>('GET', `/v1/onboardings/${onboardingId}`);
    for (const step of onboarding.steps.slice(shown)) {
      if (spinner) {
        spinner.stopAndPersist({ symbol: '', text: stepLine(step) });
        spinner.start(`running after ${step.step}`);
      }
    }
    shown = onboarding.steps.length;
    if (FINAL.has(onboarding.status)) {
      spinner?.stop();
      return onboarding;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function run(action: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await action()) ?? 0;
  } catch (err) {
    if (err instanceof ApiError) {
      console.error(`error: ${err.problem.detail ?? err.message} (HTTP ${err.status})`);
      for (const e of err.problem.errors ?? []) console.error(`  ${e.path}: ${e.message}`);
    } else console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

const program = new Command('rotctl').description('onboard secrets for rotation and watch them rotate').option('--json', 'print JSON');

program
  .command('onboard')
  .description('onboard a secret and follow the workflow until it ends')
  .requiredOption('--secret <id>', 'secret name or ARN')
  .requiredOption('--schedule <schedule>', '"rotate every N days", rate(...) or cron(...)')
  .requiredOption('--team <team>', 'the owning team (yours)')
  .option('--window <hours>', 'rotation window, e.g. 3h')
  .option('--strategy <strategy>', 'single-user | alternating-users | dual-password')
  .option('--service-type <type>', 'service type when the secret has no engine key')
  .option('--no-rotate-immediately', 'do not rotate now, only at the next window')
  .option('--idempotency-key <key>', 'retry-safe key (default: a new one)')
  .option('--no-wait', 'return once the onboarding has started')
  .action((options: Record<string, string | boolean | undefined>) =>
    run(async () => {
      const api = client();
      const json = Boolean(program.opts().json);
      const body = {
        secretId: options.secret,
        schedule: options.schedule,
        team: options.team,
        ...(options.window ? { window: options.window } : {}),
        ...(options.strategy ? { strategy: options.strategy } : {}),
        ...(options.serviceType ? { serviceType: options.serviceType } : {}),
        rotateImmediately: options.rotateImmediately !== false,
      };
      const started = await api.call<Onboarding>('POST', '/v1/onboardings', { body, headers: { 'idempotency-key': String(options.idempotencyKey ?? `rotctl-${randomUUID()}`) } });
      if (!json) console.log(`onboarding ${started.onboardingId} of ${started.secretArn}`);
      if (options.wait === false) return json ? print(started) : undefined;
      const done = await follow(api, started.onboardingId, json);
      if (json) print(done);
      if (done.status === 'succeeded') {
        if (!json) console.log(`onboarded: ${done.secretArn} rotates on "${done.schedule}"`);
        return 0;
      }
      if (!json) console.error(`onboarding failed at ${done.failure?.step ?? 'an unknown step'}: ${done.failure?.reason ?? 'no reason recorded'}`);
      return 1;
    }),
  );

program
  .command('status <onboardingId>')
  .description('an onboarding: status, each step, failure reason')
  .action((id: string) =>
    run(async () => {
      const onboarding = await client().call<Onboarding>('GET', `/v1/onboardings/${encodeURIComponent(id)}`);
      if (program.opts().json) return print(onboarding);
      console.log(`${onboarding.onboardingId}  ${onboarding.status}  ${onboarding.secretArn}  (${onboarding.schedule})`);
      for (const step of onboarding.steps) console.log(`  ${stepLine(step)}`);
      if (onboarding.failure) console.log(`failed at ${onboarding.failure.step}: ${onboarding.failure.reason}`);
    }),
  );

program
  .command('list')
  .description("your team's onboardings, newest first")
  .option('--status <status>', 'pending | running | succeeded | failed | offboarded')
  .option('--limit <n>', 'page size', positiveInt)
  .action((options: { status?: string; limit?: number }) =>
    run(async () => {
      const query = new URLSearchParams({ ...(options.status ? { status: options.status } : {}), ...(options.limit ? { limit: String(options.limit) } : {}) });
      const page = await client().call<{ items: Onboarding[]; nextToken?: string }>('GET', `/v1/onboardings?${query}`);
      if (program.opts().json) return print(page);
      for (const o of page.items) console.log(`${o.onboardingId}  ${o.status.padEnd(10)}  ${o.createdAt}  ${o.secretArn}`);
      if (page.items.length === 0) console.log('no onboardings');
    }),
  );

program
  .command('rotate <secretId>')
  .description('rotate an onboarded secret now')
  .action((secretId: string) => run(async () => print(await client().call('POST', `/v1/secrets/${encodeURIComponent(secretId)}/rotations`))));

program
  .command('rotation <secretId>')
  .description("a secret's rotation: enabled, rules, last and next rotation")
  .action((secretId: string) => run(async () => print(await client().call('GET', `/v1/secrets/${encodeURIComponent(secretId)}/rotation`))));

program
  .command('offboard <onboardingId>')
  .description('stop rotating: cancel rotation and remove the onboarding tags')
  .action((id: string) =>
    run(async () => {
      const onboarding = await client().call<Onboarding>('DELETE', `/v1/onboardings/${encodeURIComponent(id)}`);
      if (program.opts().json) return print(onboarding);
      console.log(`${onboarding.onboardingId} ${onboarding.status}`);
    }),
  );

program
  .command('service-types')
  .description('the service types the fleet rotator serves')
  .action(() =>
    run(async () => {
      const { items } = await client().call<{ items: Array<{ name: string; engines: string[]; requiredKeys: string[]; strategies: string[] }> }>('GET', '/v1/service-types');
      if (program.opts().json) return print({ items });
      for (const t of items) console.log(`${t.name.padEnd(9)} engines: ${t.engines.join(', ')}; keys: ${t.requiredKeys.join(', ')}; strategies: ${t.strategies.join(', ')}`);
    }),
  );

await program.parseAsync();

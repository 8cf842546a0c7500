import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import ora, { type Ora } from 'ora';
import type { Onboarding, StepOutcome } from '../../../shared/contract/types.ts';
import { onboardingStatusValues, serviceTypeValues, strategyValues } from '../../../shared/contract/types.ts';
import { ok, type Api } from '../api-client.ts';
import { api, list, positiveInt, print, run, wantsJson } from '../cli.ts';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'offboarded']);

/** Where a secret lives, as the API reports it. */
const where = (o: Pick<Onboarding, 'account' | 'region'>) => (o.account ? `account ${o.account} ${o.region ?? ''}`.trimEnd() : '');

function stepLine(step: StepOutcome): string {
  const mark = step.outcome === 'succeeded' ? '✔' : step.outcome === 'compensated' ? '↺' : '✖';
  const time = step.durationMs !== undefined ? ` (${Math.round(step.durationMs)} ms)` : '';
  return `${mark} ${step.step}${time}${step.message && step.outcome !== 'succeeded' ? ` - ${step.message}` : ''}`;
}

/** How `onboard` shows progress: each completed step on its own line. */
interface Progress {
  step(line: string): void;
  stop(): void;
}

/**
 * A spinner only where it can draw: a terminal that reports its size. Elsewhere (a pipe, CI, a
 * terminal that says it is 0 columns wide) each step is a plain line and nothing else is written.
 */
function progress(json: boolean): Progress {
  if (json) return { step: () => undefined, stop: () => undefined };
  const drawable = Boolean(process.stdout.isTTY) && (process.stdout.columns ?? 0) > 0 && (process.stdout.rows ?? 0) > 0;
  if (!drawable) return { step: (line) => console.log(line), stop: () => undefined };
  const spinner: Ora = ora({ text: 'waiting for the workflow', stream: process.stdout, discardStdin: false }).start();
  return {
    step: (line) => spinner.stopAndPersist({ symbol: '', text: line }).start('running the next step'),
    stop: () => spinner.stop(),
  };
}

/** Polls the onboarding and prints each step once, as it completes; resolves with the final record. */
async function follow(client: Api, onboardingId: string, json: boolean): Promise<Onboarding> {
  const shown = progress(json);
  let count = 0;
  try {
    for (;;) {
      const onboarding = await ok(client.GET('/v1/onboardings/{onboardingId}', { params: { path: { onboardingId } } }));
      for (const step of onboarding.steps.slice(count)) shown.step(stepLine(step));
      count = onboarding.steps.length;
      if (FINAL.has(onboarding.status)) return onboarding;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    shown.stop();
  }
}


export function onboardingCommands(program: Command): void {
  program
    .command('onboard')
  .description('onboard a secret and follow the workflow until it ends')
  .requiredOption('--secret <id>', 'secret name or ARN')
  .requiredOption('--schedule <schedule>', '"rotate every N days", rate(N hours|days) or cron(...), in UTC')
  .option('--window <hours>', 'rotation window, e.g. 3h')
  .addOption(new Option('--strategy <strategy>', 'how the credential rotates').choices(strategyValues))
  .addOption(new Option('--service-type <type>', 'service type when the secret has no "engine" key').choices(serviceTypeValues))
  .option('--team <team>', "the owning team (default: your token's team)")
  .option('--vpc <vpc-id>', 'the VPC the service lives in (a rotator placed there rotates it)')
  .option('--subnets <ids>', 'with --vpc: subnet ids, comma-separated', list)
  .option('--security-groups <ids>', 'with --vpc: security group ids, comma-separated', list)
  .option('--no-rotate-immediately', 'do not rotate now, only at the next window')
  .option('--idempotency-key <key>', 'retry-safe key (default: a new one)')
  .option('--no-wait', 'return once the onboarding has started')
  .action((options: { secret: string; schedule: string; window?: string; strategy?: Onboarding['strategy']; serviceType?: (typeof serviceTypeValues)[number]; team?: string; vpc?: string; subnets?: string[]; securityGroups?: string[]; rotateImmediately: boolean; idempotencyKey?: string; wait: boolean }) =>
    run(async () => {
      if (options.vpc && !(options.subnets?.length && options.securityGroups?.length)) throw new Error('--vpc needs --subnets and --security-groups');
      const client = api();
      const started = await ok(
        client.POST('/v1/onboardings', {
          params: { header: { 'Idempotency-Key': options.idempotencyKey ?? `rotctl-${randomUUID()}` } },
          body: {
            secretId: options.secret,
            schedule: options.schedule,
            rotateImmediately: options.rotateImmediately,
            ...(options.team ? { team: options.team } : {}),
            ...(options.window ? { window: options.window } : {}),
            ...(options.strategy ? { strategy: options.strategy } : {}),
            ...(options.serviceType ? { serviceType: options.serviceType } : {}),
            ...(options.vpc ? { network: { vpcId: options.vpc, subnetIds: options.subnets!, securityGroupIds: options.securityGroups! } } : {}),
          },
        }),
      );
      if (!wantsJson(program)) console.log(`onboarding ${started.onboardingId} of ${started.secretArn} (${where(started)})`);
      if (!options.wait) return wantsJson(program) ? print(started) : undefined;
      const done = await follow(client, started.onboardingId, wantsJson(program));
      if (wantsJson(program)) print(done);
      if (done.status === 'succeeded') {
        if (!wantsJson(program)) console.log(`onboarded: ${done.secretArn} (${where(done)}) rotates on "${done.schedule}"`);
        return 0;
      }
      if (!wantsJson(program)) console.error(`onboarding ${done.status} at ${done.failure?.step ?? 'an unknown step'}: ${done.failure?.reason ?? 'no reason recorded'}`);
      return 1;
    }),
  );

  program
    .command('status <onboardingId>')
  .description('an onboarding: status, each step, failure reason')
  .action((onboardingId: string) =>
    run(async () => {
      const onboarding = await ok(api().GET('/v1/onboardings/{onboardingId}', { params: { path: { onboardingId } } }));
      if (wantsJson(program)) return print(onboarding);
      console.log(`${onboarding.onboardingId}  ${onboarding.status}  ${onboarding.secretArn}  (${onboarding.schedule})`);
      console.log(`  ${where(onboarding)}`);
      for (const step of onboarding.steps) console.log(`  ${stepLine(step)}`);
      if (onboarding.failure) console.log(`${onboarding.status} at ${onboarding.failure.step}: ${onboarding.failure.reason}`);
    }),
  );

  program
    .command('list')
  .description("your team's onboardings, newest first (every page)")
  .addOption(new Option('--status <status>', 'only onboardings in this state').choices(onboardingStatusValues))
  .option('--account <id>', "only secrets in this AWS account")
  .option('--region <region>', 'only secrets in this region')
  .option('--limit <n>', 'stop after this many', positiveInt)
  .action((options: { status?: Onboarding['status']; account?: string; region?: string; limit?: number }) =>
    run(async () => {
      const client = api();
      const items: Onboarding[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ok(client.GET('/v1/onboardings', { params: { query: { ...(options.status ? { status: options.status } : {}), ...(options.account ? { account: options.account } : {}), ...(options.region ? { region: options.region } : {}), limit: Math.min(100, options.limit ?? 100), ...(nextToken ? { nextToken } : {}) } } }));
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken && items.length < (options.limit ?? Infinity));
      const shown = items.slice(0, options.limit ?? items.length);
      if (wantsJson(program)) return print({ items: shown });
      for (const o of shown) console.log(`${o.onboardingId}  ${o.status.padEnd(10)}  ${o.createdAt}  ${o.account ?? ''} ${(o.region ?? '').padEnd(14)}  ${o.secretArn}`);
      if (shown.length === 0) console.log('no onboardings');
    }),
  );

  program
    .command('offboard <onboardingId>')
  .description('stop rotating (cancel rotation, remove the onboarding tags); a running onboarding is cancelled')
  .action((onboardingId: string) =>
    run(async () => {
      const onboarding = await ok(api().DELETE('/v1/onboardings/{onboardingId}', { params: { path: { onboardingId } } }));
      if (wantsJson(program)) return print(onboarding);
      console.log(`${onboarding.onboardingId} ${onboarding.status}`);
    }),
  );

}

import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { createClient } from '@redis/client';
import { awsClients } from '../test/support/aws-clients.ts';
import { startLocalStack, TOKENS } from '../test/support/local-stack.ts';
import { forEachLimited } from '../shared/concurrency.ts';

/**
 * What an onboarding costs: the whole stack of `npm start` in its own process, N secrets
 * (BENCH_ONBOARDINGS, default 1,000) of real Redis ACL users onboarded through the REST API with
 * a first rotation each, BENCH_ONBOARDING_CONCURRENCY requests at a time. Reported: the time until
 * every onboarding has ended (all must succeed), and the state transitions of each execution, read
 * from the local Step Functions engine's execution history (GetExecutionHistory: one StateEntered
 * event per state the execution entered, which is what AWS bills as a transition).
 */

const OWNED = [{ Key: 'rcp:team', Value: 'team-a' }];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export interface OnboardingFigures {
  onboardings: number;
  succeeded: number;
  seconds: number;
  perSecond: number;
  singleSeconds: number;
  transitionsMedian: number;
  transitionsMax: number;
  serverErrors: number;
}

export async function onboardingBench(): Promise<OnboardingFigures> {
  const n = Number(process.env.BENCH_ONBOARDINGS ?? 1000);
  const concurrency = Number(process.env.BENCH_ONBOARDING_CONCURRENCY ?? 20);
  console.log(`\n== onboarding: ${n} secrets through POST /v1/onboardings, ${concurrency} requests at a time, each with its first rotation`);
  const stack = await startLocalStack({ prefix: 'onboarding-bench', env: { POWERTOOLS_LOG_LEVEL: 'ERROR', LOCAL_CLOUD_LOG: '0' } });
  const redis = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
  const users: string[] = [];
  try {
    await redis.connect();
    const { sm, sfn } = awsClients(stack.cloudUrl, { maxAttempts: 10 });
    const prefix = `onb-${process.pid}`;
    const multi = redis.multi();
    for (let i = 0; i <= n; i++) {
      users.push(`${prefix}-${i}`);
      multi.addCommand(['ACL', 'SETUSER', `${prefix}-${i}`, 'on', `>initial-${i}`, '~onb:*', '+@all']);
    }
    await multi.exec();
    const ids = Array.from({ length: n + 1 }, (_, i) => i);
    await forEachLimited(ids, 16, async (i) => {
      await sm.send(new CreateSecretCommand({ Name: `${prefix}/${i}`, Tags: OWNED, SecretString: JSON.stringify({ engine: 'redis', host: '127.0.0.1', port: 6379, username: `${prefix}-${i}`, password: `initial-${i}`, ssl: false }) }));
    });

    const serverErrors: string[] = [];
    const failures = new Map<string, string>();
    const post = async (i: number): Promise<string> => {
      for (;;) {
        const res = await fetch(`${stack.apiUrl}/v1/onboardings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json', 'idempotency-key': `${prefix}-key-${i}` },
          body: JSON.stringify({ secretId: `${prefix}/${i}`, schedule: 'rate(30 days)', team: 'team-a' }),
        });
        const body = (await res.json()) as { onboardingId?: string; detail?: string };
        if (res.status === 202 || res.status === 200 || res.status === 201) return body.onboardingId!;
        // After a 5xx the first request may have started the onboarding after all: the API names it.
        const started = res.status === 409 && serverErrors.length > 0 ? /being onboarded by onboarding (\S+) /.exec(body.detail ?? '')?.[1] : undefined;
        if (started) return started;
        if (res.status < 500 && res.status !== 429) throw new Error(`onboarding ${i} answered ${res.status}: ${body.detail}`);
        // Sent again with the same idempotency key: the API starts one onboarding however often it is asked.
        if (res.status >= 500) serverErrors.push(`${res.status} ${body.detail ?? ''}`.trim());
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const status = async (id: string) => {
      const res = await fetch(`${stack.apiUrl}/v1/onboardings/${id}`, { headers: { authorization: `Bearer ${TOKENS.a}` } });
      const body = (await res.json()) as { status: string; failure?: { step: string; errorClass?: string; reason: string } };
      if (body.failure) failures.set(id, `${body.failure.step}: ${body.failure.errorClass ?? ''} ${body.failure.reason}`.slice(0, 200));
      return body.status;
    };
    const untilEnded = async (pending: string[]) => {
      const ended = new Map<string, string>();
      while (ended.size < pending.length) {
        await forEachLimited(pending.filter((id) => !ended.has(id)), 8, async (id) => {
          const s = await status(id);
          if (s === 'succeeded' || s === 'failed') ended.set(id, s);
        });
        if (ended.size < pending.length) await new Promise((r) => setTimeout(r, 500));
      }
      return ended;
    };

    // One on its own first: a typical onboarding's time with nothing else running.
    const s0 = performance.now();
    const single = await post(0);
    await untilEnded([single]);
    const singleSeconds = (performance.now() - s0) / 1000;

    const t0 = performance.now();
    const onboardingIds: string[] = [];
    await forEachLimited(ids.slice(1), concurrency, async (i) => {
      onboardingIds.push(await post(i));
    });
    const ended = await untilEnded(onboardingIds);
    const seconds = (performance.now() - t0) / 1000;
    const succeeded = [...ended.values()].filter((s) => s === 'succeeded').length;

    const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const machine = machines.find((m) => m.name === 'rcp-onboarding');
    if (!machine) throw new Error('no rcp-onboarding state machine');
    const executions: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000, nextToken }));
      executions.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const transitions: number[] = [];
    const perState = new Map<string, number[]>();
    await forEachLimited(executions, 8, async (execution) => {
      let entered = 0;
      let token: string | undefined;
      let previous: { name: string; at: number } | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000, nextToken: token }));
        for (const e of page.events ?? []) {
          if (!e.type?.endsWith('StateEntered')) continue;
          entered += 1;
          const at = e.timestamp!.getTime();
          if (previous) perState.set(previous.name, [...(perState.get(previous.name) ?? []), at - previous.at]);
          previous = { name: e.stateEnteredEventDetails?.name ?? '?', at };
        }
        token = page.nextToken;
      } while (token);
      transitions.push(entered);
    });
    const slowest = [...perState]
      .map(([name, times]) => [name, percentile(times.sort((a, b) => a - b), 50)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4);
    transitions.sort((a, b) => a - b);
    const figures = {
      onboardings: n,
      succeeded,
      seconds,
      perSecond: n / seconds,
      singleSeconds,
      transitionsMedian: percentile(transitions, 50),
      transitionsMax: transitions.at(-1) ?? 0,
      serverErrors: serverErrors.length,
    };
    console.log(`  one onboarding alone: ${figures.singleSeconds.toFixed(2)} s end to end (request to succeeded, first rotation included)`);
    console.log(`  state transitions per onboarding: median ${figures.transitionsMedian}, max ${figures.transitionsMax} (goal <= 10; ${executions.length} executions read)`);
    console.log(`  where an onboarding's time goes (median per state, entered to next state entered): ${slowest.map(([name, t]) => `${name} ${t} ms`).join(', ')}`);
    console.log(`  ${n} onboardings: all ended in ${seconds.toFixed(1)} s (${figures.perSecond.toFixed(1)}/s); succeeded ${succeeded}/${n} (goal: all)`);
    const reasons = new Map<string, number>();
    for (const reason of failures.values()) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3)) console.log(`  failed ${count}x at ${reason}`);
    if (serverErrors.length) console.log(`  requests answered 5xx and sent again (same idempotency key): ${serverErrors.length}, e.g. "${serverErrors[0]}" (goal 0)`);
    return figures;
  } finally {
    for (const user of users) await redis.sendCommand(['ACL', 'DELUSER', user]).catch(() => undefined);
    await redis.close().catch(() => undefined);
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await onboardingBench();

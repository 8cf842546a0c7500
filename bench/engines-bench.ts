import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { admin, awsClients } from '../test/support/aws-clients.ts';
import { startCloudProcess, tempStateDir } from '../test/support/cloud-process.ts';

/**
 * The local cloud's Step Functions and EventBridge rules, measured from another process through
 * the real SDK: executions of a three-state machine with a Lambda task (started N at a time, every
 * history event durable before the next step), PutEvents into a rule with a function target (each
 * delivery queued durably before PutEvents answers), and the start of a cloud whose journals hold
 * all of it.
 */

const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 300);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const ROLE = 'arn:aws:iam::000000000000:role/bench';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Runs `work(i)` for i < n with at most `limit` at once; returns each call's duration (ms). */
async function inParallel(n: number, limit: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await work(i);
        durations.push(performance.now() - t0);
      }
    }),
  );
  return durations.sort((a, b) => a - b);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function enginesBench(): Promise<void> {
  console.log('\n== Step Functions and EventBridge rules in the local cloud');
  const stateDir = await tempStateDir('engines-bench');
  let cloud = await startCloudProcess({ stateDir, env: { LOCAL_CLOUD_LOG: '0' } });
  try {
    const { sfn, events, lambda } = awsClients(cloud.url, { maxAttempts: 3 });
    const work = await admin<{ arn: string }>(cloud.url, '/_local/functions', { body: { name: 'bench-echo', module: 'bench/echo-function.ts', export: 'handler' } });

    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Result: { step: 'prepared' }, ResultPath: '$.prepare', Next: 'Work' },
        Work: { Type: 'Task', Resource: work.arn, ResultPath: '$.work', Next: 'Done' },
        Done: { Type: 'Pass', End: true },
      },
    };
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'bench', definition: JSON.stringify(definition), roleArn: ROLE }));
    const t0 = performance.now();
    const starts = await inParallel(EXECUTIONS, CONCURRENCY, (i) => sfn.send(new StartExecutionCommand({ stateMachineArn, name: `run-${i}`, input: JSON.stringify({ i }) })));
    await until('every execution to finish', async () => ((await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }))).executions ?? []).length === 0);
    const seconds = (performance.now() - t0) / 1000;
    const durations: number[] = [];
    for (let i = 0; i < EXECUTIONS; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: `${stateMachineArn!.replace(':stateMachine:', ':execution:')}:run-${i}` }));
      if (d.status !== 'SUCCEEDED') throw new Error(`run-${i} ended ${d.status}`);
      durations.push(d.stopDate!.getTime() - d.startDate!.getTime());
    }
    durations.sort((a, b) => a - b);
    console.log(`executions: ${EXECUTIONS} (Pass, Lambda task, Pass; 11 history events each), ${CONCURRENCY} started at a time`);
    console.log(`            ${(EXECUTIONS / seconds).toFixed(0)} executions/s; StartExecution p50 ${ms(percentile(starts, 50))}, p99 ${ms(percentile(starts, 99))}; start to end p50 ${ms(percentile(durations, 50))}, p99 ${ms(percentile(durations, 99))}`);

    const { RuleArn } = await events.send(new PutRuleCommand({ Name: 'bench', EventPattern: JSON.stringify({ source: ['rcp.bench'] }) }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'bench-echo', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: RuleArn }));
    await events.send(new PutTargetsCommand({ Rule: 'bench', Targets: [{ Id: 'echo', Arn: work.arn, InputPath: '$.detail' }] }));
    const e0 = performance.now();
    const puts = await inParallel(EVENTS / 10, CONCURRENCY, (i) =>
      events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, (_, j) => ({ Source: 'rcp.bench', DetailType: 'Bench', Detail: JSON.stringify({ n: i * 10 + j }) })) })),
    );
    await until('every delivery', async () => (await admin<{ queued: unknown[] }>(cloud.url, '/_local/deliveries')).queued.length === 0);
    const deliverySeconds = (performance.now() - e0) / 1000;
    const { deadLetters } = await admin<{ deadLetters: unknown[] }>(cloud.url, '/_local/deliveries');
    if (deadLetters.length) throw new Error(`${deadLetters.length} deliveries were given up`);
    console.log(`deliveries: ${EVENTS} events in PutEvents of 10, ${CONCURRENCY} at a time, each matched by a rule with a function target`);
    console.log(`            PutEvents p50 ${ms(percentile(puts, 50))}, p99 ${ms(percentile(puts, 99))}; all delivered in ${deliverySeconds.toFixed(1)} s (${(EVENTS / deliverySeconds).toFixed(0)} deliveries/s)`);

    await cloud.kill();
    const r0 = performance.now();
    cloud = await startCloudProcess({ stateDir, env: { LOCAL_CLOUD_LOG: '0' } });
    console.log(`restart:    kill -9, then listening again after ${ms(performance.now() - r0)} with those journals loaded (process start included)`);
  } finally {
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await enginesBench();

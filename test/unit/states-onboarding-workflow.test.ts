import { beforeAll, describe, expect, it } from 'vitest';
import { onboardingDefinition } from '../../infra/local/deploy/synth.ts';
import { finished, history, ROLE, statesHarnesses, type Harness } from './states-fixtures.ts';

// THE onboarding workflow (the ASL the CDK app synthesises) on the local Step Functions engine,
// with fake step functions: the definition's retries, catches, the callback wait for the first
// rotation and the compensation branch behave as on AWS, including the Lambda error JSON that
// RecordFailure parses.

let definition: string;
beforeAll(async () => {
  definition = await onboardingDefinition();
}, 120_000);

type Step = (input: Record<string, unknown>, attempt: number, h: Harness) => unknown;
const fail = (errorType: string, errorMessage: string) => ({ fail: { errorType, errorMessage, trace: [] } });

const harness = statesHarnesses();

/** Runs one onboarding with the given fake steps (by step name); every other step returns {}. */
async function onboard(steps: Partial<Record<string, Step>>) {
  const calls: Array<{ step: string; input: Record<string, unknown> }> = [];
  const attempts = new Map<string, number>();
  const opened: { h?: Harness } = {};
  const h = await harness({
    timing: { waitScale: 0.001, retryScale: 0.001 },
    invoke: async (arn, payload) => {
      const step = /function:Step([A-Za-z]+?)[0-9A-F]{8}$/.exec(arn)?.[1] ?? arn;
      const attempt = (attempts.get(step) ?? 0) + 1;
      attempts.set(step, attempt);
      calls.push({ step, input: payload as Record<string, unknown> });
      const result = (await steps[step]?.(payload as Record<string, unknown>, attempt, opened.h!)) ?? {};
      const failure = (result as { fail?: unknown }).fail;
      return failure ? { payload: failure, functionError: 'Unhandled' } : { payload: result };
    },
  });
  opened.h = h;
  const { stateMachineArn } = await h.call<{ stateMachineArn: string }>('CreateStateMachine', { name: 'rcp-onboarding', definition, roleArn: ROLE });
  const input = { onboardingId: 'onb-1', actor: 'team-a', request: { secretId: 'demo/postgres', schedule: 'rotate every 30 days', team: 'team-a' } };
  const { executionArn } = await h.call<{ executionArn: string }>('StartExecution', { stateMachineArn, name: 'onb-1', input: JSON.stringify(input) });
  const described = await finished(h, executionArn, 20_000);
  const entered = (await history(h, executionArn)).filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
  return { described, calls, entered, h, executionArn };
}

describe('the onboarding workflow on the local Step Functions engine', () => {
  // The rotation's own event resumes the waiting task a moment after the step left its token.
  const resumedBy = (output: unknown) => (input: Record<string, unknown>, _attempt: number, h: Harness) => {
    setTimeout(() => void h.call('SendTaskSuccess', { taskToken: input.taskToken, output: JSON.stringify(output) }), 20);
    return null;
  };

  it('succeeds through the callback wait for the first rotation, in 10 states', async () => {
    const { described, entered, calls } = await onboard({
      Validate: () => ({ secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/postgres-AbCdEf' }),
      AwaitFirstRotation: resumedBy({ status: 'succeeded', versionId: 'v2' }),
    });
    expect(described.status).toBe('SUCCEEDED');
    expect(entered).toEqual([
      'Validate',
      'EnsureNetwork',
      'Preflight',
      'EnsureInvokePermission',
      'TagSecret',
      'ConfigureRotation',
      'RotateImmediately',
      'AwaitFirstRotation',
      'RecordSuccess',
      'Onboarded',
    ]);
    const output = JSON.parse(described.output as string);
    expect(output).toMatchObject({ onboardingId: 'onb-1', validate: { secretArn: expect.stringContaining('demo/postgres') }, firstRotation: { status: 'succeeded', versionId: 'v2' } });
    // The callback task hands its step the whole state and the token that resumes it.
    expect(calls.find((c) => c.step === 'AwaitFirstRotation')!.input).toMatchObject({ state: { onboardingId: 'onb-1' }, taskToken: expect.any(String) });
    // Each step sees what the earlier ones wrote at their ResultPath.
    expect(calls.find((c) => c.step === 'RecordSuccess')!.input).toMatchObject({ validate: { secretArn: expect.any(String) }, firstRotation: { status: 'succeeded' } });
  });

  it('retries a throttled step with the definition Retry and goes on', async () => {
    const { described, calls } = await onboard({
      TagSecret: (_input, attempt) => (attempt < 3 ? fail('Throttled', 'Rate exceeded') : { added: ['rcp:managed'] }),
      AwaitFirstRotation: resumedBy({ status: 'succeeded', versionId: 'v2' }),
    });
    expect(described.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.step === 'TagSecret')).toHaveLength(3);
    expect(JSON.parse(described.output as string).tags).toEqual({ added: ['rcp:managed'] });
  });

  it('compensates and records the failure when a step fails, ending OnboardingFailed with the step error as cause', async () => {
    const { described, entered, calls } = await onboard({
      Preflight: () => fail('AuthenticationFailed', 'the current credential does not log in'),
    });
    expect(described).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
    expect(entered).toEqual(['Validate', 'EnsureNetwork', 'Preflight', 'Compensate', 'RecordFailure', 'OnboardingFailed']);
    const recordFailureInput = calls.find((c) => c.step === 'RecordFailure')!.input as { error: { Error: string; Cause: string } };
    expect(recordFailureInput.error.Error).toBe('AuthenticationFailed');
    // What services/onboarding/steps/record-failure.ts parses: the Lambda error JSON.
    expect(JSON.parse(recordFailureInput.error.Cause)).toMatchObject({ errorType: 'AuthenticationFailed', errorMessage: 'the current credential does not log in' });
    expect(JSON.parse(described.cause as string).errorMessage).toBe('the current credential does not log in');
    expect(calls.find((c) => c.step === 'Compensate')!.input).toMatchObject({ error: { Error: 'AuthenticationFailed' } });
  });

  it('still records the failure when compensation itself fails', async () => {
    const { described, entered, calls } = await onboard({
      ConfigureRotation: () => fail('RotationRefused', 'the secret is rotated by another function'),
      Compensate: () => fail('Error', 'could not remove the tags'),
    });
    expect(described).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
    expect(entered.slice(-3)).toEqual(['Compensate', 'RecordFailure', 'OnboardingFailed']);
    expect(calls.find((c) => c.step === 'RecordFailure')!.input).toMatchObject({ error: { Error: 'RotationRefused' }, compensationError: { Error: 'Error' } });
  });

  it('compensates when the first rotation fails: the task fails with the reason the event carried', async () => {
    const { described, entered, calls } = await onboard({
      AwaitFirstRotation: (input, _attempt, h) => {
        setTimeout(() => void h.call('SendTaskFailure', { taskToken: input.taskToken, error: 'FirstRotationFailed', cause: 'the first rotation failed at setSecret: PermissionDenied' }), 20);
        return null;
      },
    });
    expect(described).toMatchObject({ status: 'FAILED', error: 'OnboardingFailed' });
    expect(entered.slice(-4)).toEqual(['AwaitFirstRotation', 'Compensate', 'RecordFailure', 'OnboardingFailed']);
    expect(calls.find((c) => c.step === 'RecordFailure')!.input).toMatchObject({ error: { Error: 'FirstRotationFailed', Cause: 'the first rotation failed at setSecret: PermissionDenied' } });
  });
});

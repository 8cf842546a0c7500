import { DescribeExecutionCommand, SendTaskFailureCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { FirstRotationWaits } from '../onboarding/waits.ts';
import type { WorkflowPort } from './deps.ts';

/**
 * The onboarding workflow as Step Functions runs it, on AWS and in the local cloud alike. The
 * execution is named after the onboarding, so Step Functions itself refuses a second one.
 */
export function stepFunctionsWorkflow(sfn: SFNClient, stateMachineArn: string, waits: FirstRotationWaits): WorkflowPort {
  return {
    async start(state) {
      try {
        const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: state.onboardingId, input: JSON.stringify(state) }));
        return { executionArn: out.executionArn! };
      } catch (err) {
        // Started already, by an attempt that died before recording it: that execution is this onboarding's.
        if ((err as Error).name !== 'ExecutionAlreadyExists') throw err;
        return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${state.onboardingId}` };
      }
    },
    async isRunning(executionArn) {
      try {
        return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'RUNNING';
      } catch (err) {
        if ((err as Error).name === 'ExecutionDoesNotExist') return false;
        throw err;
      }
    },
    async cancelWait(secretArn, versionId, actor) {
      const wait = await waits.get(secretArn, versionId);
      if (!wait) return;
      try {
        await sfn.send(new SendTaskFailureCommand({ taskToken: wait.taskToken, error: 'OnboardingCancelled', cause: `the onboarding was cancelled by ${actor}` }));
      } catch (err) {
        if (!['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes((err as Error).name)) throw err;
      }
      await waits.remove(secretArn, versionId);
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { StateMachine } from 'aws-local-stepfunctions';
import { buildApp } from '../aws/bin/app.ts';
import type { OnboardingDeps } from '../../services/onboarding/deps.ts';
import { STEP_NAMES, type OnboardingState } from '../../services/onboarding/state.ts';
import { ONBOARDING_TASKS } from '../../services/onboarding/tasks.ts';
import { WAIT_STATE } from '../aws/lib/onboarding-workflow.ts';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/**
 * The ASL of the onboarding state machine in a synthesised template, with CloudFormation's
 * intrinsic functions (the Task functions' ARNs) resolved to local function ARNs.
 */
export function workflowDefinitionFrom(template: Template, region = 'us-east-1', account = '000000000000'): Record<string, unknown> {
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error('the template has no state machine');
  const body = machine.Properties!.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => {
            if (typeof part === 'string') return part;
            const ref = part as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
            const logicalId = ref['Fn::GetAtt']?.[0] ?? ref.Ref ?? 'unknown';
            return `arn:aws:lambda:${region}:${account}:function:${logicalId}`;
          })
          .join(body['Fn::Join'][0]);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Synthesises the CDK app (without building Lambda code) and returns the workflow's ASL. */
export function synthesizedWorkflowDefinition(): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), 'rcp-synth-'));
  try {
    const app = buildApp(new App({ outdir }), { bundle: false, checks: false });
    const stack = app.node.findChild('RcpControlPlane') as Stack;
    const assembly = app.synth();
    return workflowDefinitionFrom(assembly.getStackArtifact(stack.artifactId).template as Template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface Execution {
  executionArn: string;
  result: Promise<{ status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string }>;
}

/**
 * Runs the synthesised onboarding workflow with aws-local-stepfunctions: every Task state runs its
 * step's handler in this process (the same code the step Lambdas run), against the local cloud.
 */
export class LocalWorkflowRunner {
  private readonly machine: StateMachine;

  constructor(
    readonly definition: Record<string, unknown>,
    private readonly deps: OnboardingDeps,
    private readonly timing: { pollMs: number; retryMs: number } = { pollMs: 500, retryMs: 200 },
  ) {
    this.machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  start(input: OnboardingState): Execution {
    const handlers = Object.fromEntries(STEP_NAMES.map((name) => [name, (state: unknown) => ONBOARDING_TASKS[name](state as OnboardingState, this.deps)]));
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: { [WAIT_STATE]: this.timing.pollMs },
        retryIntervalOverrides: Object.fromEntries(STEP_NAMES.map((name) => [name, this.timing.retryMs])),
      },
    });
    const result = execution.result.then(
      (output: unknown) => ({ status: 'SUCCEEDED' as const, output }),
      (err: Error) => ({ status: 'FAILED' as const, error: `${err.name}: ${err.message}` }),
    );
    return { executionArn: `arn:aws:states:${this.deps.region}:${this.deps.account}:execution:rcp-onboarding:${input.onboardingId}`, result };
  }
}

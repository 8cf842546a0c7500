import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  LogLevel,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { StepName } from '../../../services/onboarding/state.ts';

/** How long the workflow waits between looks at the first rotation (the local runner shortens it). */
export const FIRST_ROTATION_POLL = Duration.seconds(10);
export const WAIT_STATE = 'WaitForFirstRotation';

/**
 * THE onboarding workflow, defined once: AWS runs it as a Standard state machine, the embedded
 * default runs the ASL this synthesises with aws-local-stepfunctions. JSONPath only (the local
 * runner ignores JSONata). Each Task state's name is its step's name in services/onboarding.
 *
 *   Validate → EnsureNetwork → Preflight → EnsureInvokePermission → TagSecret → ConfigureRotation
 *   → (rotate now? CheckFirstRotation ⟲ WaitForFirstRotation) → RecordSuccess → Onboarded
 *   any failure → Compensate → RecordFailure → OnboardingFailed
 *
 * EnsureNetwork runs before Preflight and the invoke permission: it picks the rotator placed where
 * the service is, and that rotator is the one that must reach the service and be invokable.
 */
export class OnboardingWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, functions: Record<StepName, IFunction>) {
    super(scope, id);
    const task = (name: StepName, resultPath: string | undefined) => {
      const t = new LambdaInvoke(this, name, {
        lambdaFunction: functions[name],
        payloadResponseOnly: true,
        resultPath: resultPath ?? '$.ignored',
        retryOnServiceExceptions: true,
      });
      t.addRetry({ errors: ['Throttled', 'TransientError'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 5, jitterStrategy: JitterType.FULL });
      return t;
    };

    const compensate = task('Compensate', '$.compensation');
    const recordFailure = task('RecordFailure', '$.recorded');
    // Whatever compensation could not do, the failure is still recorded.
    compensate.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.compensationError' });
    compensate.next(recordFailure).next(new Fail(this, 'OnboardingFailed', { error: 'OnboardingFailed', causePath: '$.error.Cause' }));

    const steps = {
      validate: task('Validate', '$.validate'),
      network: task('EnsureNetwork', '$.network'),
      preflight: task('Preflight', '$.preflight'),
      permission: task('EnsureInvokePermission', '$.permission'),
      tag: task('TagSecret', '$.tags'),
      configure: task('ConfigureRotation', '$.rotation'),
      check: task('CheckFirstRotation', '$.firstRotation'),
    };
    // A rotation still finishing is waited out: the service refuses RotateSecret until then.
    steps.configure.addRetry({ errors: ['RotationInProgress'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 6, jitterStrategy: JitterType.FULL });
    for (const step of Object.values(steps)) step.addCatch(compensate, { errors: ['States.ALL'], resultPath: '$.error' });

    const recordSuccess = task('RecordSuccess', '$.recorded');
    recordSuccess.addCatch(compensate, { errors: ['States.ALL'], resultPath: '$.error' });
    recordSuccess.next(new Succeed(this, 'Onboarded'));

    const wait = new Wait(this, WAIT_STATE, { time: WaitTime.duration(FIRST_ROTATION_POLL) });
    const firstRotationDone = new Choice(this, 'FirstRotationDone')
      .when(Condition.stringEquals('$.firstRotation.status', 'succeeded'), recordSuccess)
      .otherwise(wait.next(steps.check));
    const rotateNow = new Choice(this, 'RotateImmediately')
      .when(Condition.and(Condition.isPresent('$.request.rotateImmediately'), Condition.booleanEquals('$.request.rotateImmediately', false)), recordSuccess)
      .otherwise(steps.check.next(firstRotationDone));

    const definition = steps.validate
      .next(steps.network)
      .next(steps.preflight)
      .next(steps.permission)
      .next(steps.tag)
      .next(steps.configure)
      .next(rotateNow);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: 'rcp-onboarding',
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSON_PATH,
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: new LogGroup(this, 'Logs', { retention: RetentionDays.THREE_MONTHS }), level: LogLevel.ALL, includeExecutionData: false },
    });
  }
}

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
  IntegrationPattern,
  JsonPath,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FIRST_ROTATION_TIMEOUT_MINUTES, type StepName } from '../../../services/onboarding/state.ts';

/**
 * How long the workflow waits for its first rotation's own event before it gives up (Secrets
 * Manager retries a failed rotation for a while; a single user's may need those retries).
 */
export const FIRST_ROTATION_TIMEOUT = Duration.minutes(FIRST_ROTATION_TIMEOUT_MINUTES);

/** The state machine's name, fixed: the functions that resume its callback tasks are granted it by name. */
export const ONBOARDING_STATE_MACHINE = 'rcp-onboarding';

/**
 * THE onboarding workflow, defined once: AWS runs it as a Standard state machine, the embedded
 * default runs the ASL this synthesises with aws-local-stepfunctions. JSONPath only (the local
 * runner ignores JSONata). Each Task state's name is its step's name in services/onboarding.
 *
 *   Validate → EnsureNetwork → Preflight → EnsureInvokePermission → TagSecret → ConfigureRotation
 *   → (rotate now? AwaitFirstRotation) → RecordSuccess → Onboarded
 *   any failure → Compensate → RecordFailure → OnboardingFailed
 *
 * AwaitFirstRotation is a callback task (.waitForTaskToken): it leaves its token where the
 * rotation's own event (the rotator's Rotation Succeeded / Rotation Failed on the audit bus)
 * resumes it, so the onboarding ends the moment the rotation does, in 10 state transitions.
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
    };
    // A rotation still finishing is waited out: the service refuses RotateSecret until then.
    steps.configure.addRetry({ errors: ['RotationInProgress'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 6, jitterStrategy: JitterType.FULL });

    const awaitFirstRotation = new LambdaInvoke(this, 'AwaitFirstRotation', {
      lambdaFunction: functions.AwaitFirstRotation,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ 'state.$': '$', taskToken: JsonPath.taskToken }),
      resultPath: '$.firstRotation',
      taskTimeout: Timeout.duration(FIRST_ROTATION_TIMEOUT),
      retryOnServiceExceptions: true,
    });
    awaitFirstRotation.addRetry({ errors: ['Throttled', 'TransientError'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 5, jitterStrategy: JitterType.FULL });
    for (const step of [...Object.values(steps), awaitFirstRotation]) step.addCatch(compensate, { errors: ['States.ALL'], resultPath: '$.error' });

    const recordSuccess = task('RecordSuccess', '$.recorded');
    recordSuccess.addCatch(compensate, { errors: ['States.ALL'], resultPath: '$.error' });
    recordSuccess.next(new Succeed(this, 'Onboarded'));

    const rotateNow = new Choice(this, 'RotateImmediately')
      .when(Condition.and(Condition.isPresent('$.request.rotateImmediately'), Condition.booleanEquals('$.request.rotateImmediately', false)), recordSuccess)
      .otherwise(awaitFirstRotation.next(recordSuccess));

    const definition = steps.validate
      .next(steps.network)
      .next(steps.preflight)
      .next(steps.permission)
      .next(steps.tag)
      .next(steps.configure)
      .next(rotateNow);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: ONBOARDING_STATE_MACHINE,
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSON_PATH,
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: new LogGroup(this, 'Logs', { retention: RetentionDays.THREE_MONTHS }), level: LogLevel.ALL, includeExecutionData: false },
    });
  }
}

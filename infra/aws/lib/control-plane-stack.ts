import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { STEP_NAMES, type StepName } from '../../../services/onboarding/state.ts';
import { productFunction } from './bundling.ts';
import { OnboardingWorkflow } from './onboarding-workflow.ts';

export interface ControlPlaneStackProps extends StackProps {
  auditBus: IEventBus;
  rotator: IFunction;
  bundle: boolean;
}

/** The onboarding control plane: its table, the step functions and the workflow. (The REST API joins it next.) */
export class ControlPlaneStack extends Stack {
  readonly table: Table;
  readonly workflow: OnboardingWorkflow;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.table = new Table(this, 'Table', {
      tableName: 'rcp-control-plane',
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'byTeam',
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
    });

    const functions = {} as Record<StepName, LambdaFunction>;
    for (const step of STEP_NAMES) {
      const fn = productFunction(this, `Step${step}`, 'services/onboarding/handler.ts', {
        description: `onboarding workflow step ${step}`,
        environment: {
          ONBOARDING_STEP: step,
          RCP_TABLE_NAME: this.table.tableName,
          AUDIT_BUS_NAME: props.auditBus.eventBusName,
          FLEET_ROTATOR_ARN: props.rotator.functionArn,
        },
        bundle: props.bundle,
      });
      this.table.grantReadWriteData(fn);
      props.auditBus.grantPutEventsTo(fn);
      functions[step] = fn;
    }
    const secrets = `arn:${this.partition}:secretsmanager:${this.region}:${this.account}:secret:*`;
    // Onboarding configures rotation and tags; it never reads a secret's value (only the rotator does).
    const manage = new PolicyStatement({
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource', 'secretsmanager:RotateSecret', 'secretsmanager:CancelRotateSecret', 'secretsmanager:UpdateSecretVersionStage'],
      resources: [secrets],
    });
    for (const step of ['Validate', 'Preflight', 'TagSecret', 'ConfigureRotation', 'CheckFirstRotation', 'Compensate'] as const) functions[step].addToRolePolicy(manage);
    functions.Preflight.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.rotator.functionArn] }));
    functions.EnsureInvokePermission.addToRolePolicy(new PolicyStatement({ actions: ['lambda:GetPolicy', 'lambda:AddPermission'], resources: [props.rotator.functionArn] }));
    functions.ConfigureRotation.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.rotator.functionArn] }));

    this.workflow = new OnboardingWorkflow(this, 'Onboarding', functions);

    const tableId = this.getLogicalId(this.table.node.defaultChild as CfnTable);
    for (const fn of Object.values(functions)) {
      Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: 'The product targets nodejs22.x (a fixed choice); the runtime moves with the project.' });
      const policy = fn.role!.node.tryFindChild('DefaultPolicy');
      if (!policy) continue;
      Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.' });
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*]',
        reason: 'Onboarding works on whichever secret a team names; it gets no GetSecretValue, and API authorisation limits callers to their team.',
      });
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`, reason: "The table's own indexes (byTeam), created with it." });
    }
    const smPolicy = this.workflow.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (smPolicy) {
      Validations.of(smPolicy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Step Functions logging (CloudWatch Logs delivery APIs) and X-Ray have no resource-level permissions.' });
      for (const fn of Object.values(functions)) {
        const id = this.getLogicalId(fn.node.defaultChild as CfnFunction);
        Validations.of(smPolicy).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`, reason: 'Invoking any version of the step functions of this workflow (the grant CDK makes for a Task).' });
      }
    }
  }
}

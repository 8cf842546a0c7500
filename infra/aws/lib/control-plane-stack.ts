import { ArnFormat, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat, ApiDefinition, LogGroupLogDestination, MethodLoggingLevel, SpecRestApi } from 'aws-cdk-lib/aws-apigateway';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { apiGatewayDefinition } from './api-definition.ts';
import { idempotencyTable } from './idempotency-table.ts';
import { AttributeType, BillingMode, Table, TableEncryption, type CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { STEP_NAMES, type StepName } from '../../../services/onboarding/state.ts';
import { productFunction } from './bundling.ts';
import { ONBOARDING_STATE_MACHINE, OnboardingWorkflow } from './onboarding-workflow.ts';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { AUDIT_SOURCE } from '../../../shared/audit/audit-events.ts';
import { RESOURCES } from '../../../shared/names.ts';
import { centralRoleName } from './central-role-names.ts';
import { acknowledgeWildcard } from './nag.ts';
import { ComplianceEvaluator } from './compliance-evaluator.ts';
import { grantAssumeMemberRole, organizationEnvironment, type OrganizationSettings } from './organization.ts';

export interface ControlPlaneStackProps extends StackProps {
  auditBus: IEventBus;
  rotator: IFunction;
  /** Rotators placed in VPCs, by VPC id. */
  placements?: Record<string, IFunction>;
  /** IAM principal ARN pattern (`*` wildcard) -> team, for callers of the REST API. */
  teamPrincipals?: Record<string, string>;
  /** Member accounts the steps and the API act in through `rcp-member-onboarding` and `rcp-member-inventory`. */
  organization?: OrganizationSettings;
  /** IAM principal ARN patterns (`*` wildcard) of auditors: they read the whole organisation's compliance. */
  auditorPrincipals?: string[];
  /** The central bus member accounts forward their Secrets Manager events to (compliance re-evaluates on them). */
  orgEventsBus?: IEventBus;
  /** The compliance policy (services/compliance/policy.ts). */
  compliancePolicy?: unknown;
  bundle: boolean;
}

/** The onboarding control plane: its table, the step functions, the workflow, and the REST API (API Gateway from openapi.yaml). */
export class ControlPlaneStack extends Stack {
  readonly table: Table;
  readonly auditTrail: Table;
  readonly workflow: OnboardingWorkflow;
  readonly api: SpecRestApi;
  /** The REST API's function: the console's API (ConsoleStack) proxies to it too. */
  readonly apiFunction: LambdaFunction;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.table = new Table(this, 'Table', {
      tableName: RESOURCES.controlPlaneTable,
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

    const functions = {} as Record<StepName | 'ApiHandler' | 'FirstRotationCallback' | 'AuditTrailRecorder', LambdaFunction>;
    for (const step of STEP_NAMES) {
      const fn = productFunction(this, `Step${step}`, 'services/onboarding/handler.ts', {
        description: `onboarding workflow step ${step}`,
        roleName: centralRoleName('onboarding', this.region, step),
        environment: {
          ONBOARDING_STEP: step,
          RCP_TABLE_NAME: this.table.tableName,
          AUDIT_BUS_NAME: props.auditBus.eventBusName,
          FLEET_ROTATOR_ARN: props.rotator.functionArn,
          ROTATOR_PLACEMENTS: JSON.stringify(Object.fromEntries(Object.entries(props.placements ?? {}).map(([vpc, fn]) => [vpc, fn.functionArn]))),
        },
        bundle: props.bundle,
      });
      this.table.grantReadWriteData(fn);
      props.auditBus.grantPutEventsTo(fn);
      functions[step] = fn;
    }
    const secrets = `arn:${this.partition}:secretsmanager:${this.region}:${this.account}:secret:*`;
    // Each step gets what it calls, no more; none reads a secret's value (only the rotator does).
    // What changes a secret's labels or removes tags is limited to secrets this control plane marked.
    const onSecrets = (actions: string[], onlyOnboarded = false) =>
      new PolicyStatement({
        actions: actions.map((a) => `secretsmanager:${a}`),
        resources: [secrets],
        ...(onlyOnboarded ? { conditions: { Null: { 'secretsmanager:ResourceTag/rcp:onboarding-id': 'false' } } } : {}),
      });
    functions.Validate.addToRolePolicy(onSecrets(['DescribeSecret']));
    functions.Preflight.addToRolePolicy(onSecrets(['TagResource']));
    functions.TagSecret.addToRolePolicy(onSecrets(['TagResource']));
    functions.ConfigureRotation.addToRolePolicy(onSecrets(['RotateSecret']));
    // A stray AWSPENDING preflight found (the current credential works) is cleared before RotateSecret.
    functions.ConfigureRotation.addToRolePolicy(onSecrets(['UpdateSecretVersionStage'], true));
    functions.AwaitFirstRotation.addToRolePolicy(onSecrets(['DescribeSecret']));
    functions.Compensate.addToRolePolicy(onSecrets(['DescribeSecret']));
    functions.Compensate.addToRolePolicy(onSecrets(['CancelRotateSecret', 'UpdateSecretVersionStage', 'UntagResource'], true));
    const rotators = [props.rotator, ...Object.values(props.placements ?? {})].map((fn) => fn.functionArn);
    functions.Preflight.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: rotators }));
    functions.EnsureInvokePermission.addToRolePolicy(new PolicyStatement({ actions: ['lambda:GetPolicy', 'lambda:AddPermission'], resources: rotators }));
    // RotateSecret with a rotation function needs the caller to be allowed to invoke it.
    functions.ConfigureRotation.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: rotators }));
    // The steps that act on a secret do so in a member account through its onboarding role.
    for (const step of ['Validate', 'Preflight', 'TagSecret', 'ConfigureRotation', 'AwaitFirstRotation', 'Compensate'] as const) {
      grantAssumeMemberRole(functions[step], 'onboarding', props.organization);
    }

    this.workflow = new OnboardingWorkflow(this, 'Onboarding', functions as Record<StepName, LambdaFunction>);

    // Callback tasks are resumed by the step itself and by the rotation's own event. Granted by the
    // machine's name: the machine refers to these functions, so their policies must not refer to it.
    const machineArn = this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: ONBOARDING_STATE_MACHINE, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const taskResponse = () => new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [machineArn] });
    functions.AwaitFirstRotation.addToRolePolicy(taskResponse());
    const callback = productFunction(this, 'FirstRotationCallback', 'services/onboarding/callback-handler.ts', {
      description: "resumes an onboarding waiting for its first rotation, on the rotation's own audit event",
      roleName: centralRoleName('onboarding', this.region, 'FirstRotationCallback'),
      environment: { RCP_TABLE_NAME: this.table.tableName, AUDIT_BUS_NAME: props.auditBus.eventBusName, FLEET_ROTATOR_ARN: props.rotator.functionArn },
      bundle: props.bundle,
    });
    this.table.grantReadWriteData(callback);
    callback.addToRolePolicy(taskResponse());
    new Rule(this, 'FirstRotationEvents', {
      eventBus: props.auditBus,
      description: "the fleet rotator's Rotation Succeeded / Rotation Failed: resume the onboarding waiting for that rotation",
      eventPattern: { source: [AUDIT_SOURCE], detailType: ['Rotation Succeeded', 'Rotation Failed'] },
      targets: [new LambdaTarget(callback, { retryAttempts: 20, maxEventAge: Duration.hours(2) })],
    });
    functions.FirstRotationCallback = callback;

    // Each secret's audit trail: every product event on the audit bus, by secret, kept a year (TTL).
    this.auditTrail = new Table(this, 'AuditTrailTable', {
      tableName: RESOURCES.auditTrailTable,
      partitionKey: { name: 'secretArn', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const recorder = productFunction(this, 'AuditTrailRecorder', 'services/audit-trail/handler.ts', {
      description: "records each audit event into its secret's audit trail",
      environment: { AUDIT_TRAIL_TABLE_NAME: this.auditTrail.tableName, AUDIT_TRAIL_RETENTION_DAYS: '365' },
      bundle: props.bundle,
    });
    // PutItem only (conditional on the key being new): the recorder never reads or changes a recorded event.
    recorder.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.auditTrail.tableArn] }));
    new Rule(this, 'AuditTrailEvents', {
      eventBus: props.auditBus,
      description: "every audit event of the product: into its secret's audit trail",
      eventPattern: { source: [AUDIT_SOURCE] },
      targets: [new LambdaTarget(recorder, { retryAttempts: 20, maxEventAge: Duration.hours(24) })],
    });
    functions.AuditTrailRecorder = recorder;

    const apiIdempotency = idempotencyTable(this, 'ApiIdempotencyTable', RESOURCES.apiIdempotencyTable);
    const apiFunction = (this.apiFunction = productFunction(this, 'ApiHandler', 'services/api/handler.ts', {
      description: 'REST API of the secret rotation control plane',
      roleName: centralRoleName('api', this.region),
      environment: {
        RCP_TABLE_NAME: this.table.tableName,
        API_IDEMPOTENCY_TABLE_NAME: apiIdempotency.tableName,
        AUDIT_TRAIL_TABLE_NAME: this.auditTrail.tableName,
        AUDIT_BUS_NAME: props.auditBus.eventBusName,
        STATE_MACHINE_ARN: this.workflow.stateMachine.stateMachineArn,
        RCP_OPENAPI_PATH: './openapi.yaml',
        RCP_TEAM_PRINCIPALS: JSON.stringify(props.teamPrincipals ?? {}),
        RCP_AUDITOR_PRINCIPALS: JSON.stringify(props.auditorPrincipals ?? []),
        // Which function rotates a secret tells whether it is the product's, in the team's secret list.
        FLEET_ROTATOR_ARN: props.rotator.functionArn,
        ROTATOR_PLACEMENTS: JSON.stringify(Object.fromEntries(Object.entries(props.placements ?? {}).map(([vpc, fn]) => [vpc, fn.functionArn]))),
        ...organizationEnvironment(props.organization),
      },
      bundle: props.bundle,
      extraFiles: ['openapi.yaml'],
    }));
    this.table.grantReadWriteData(apiFunction);
    apiIdempotency.grantReadWriteData(apiFunction);
    // GET /v1/secrets/{secretId}/events: Query only.
    apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.auditTrail.tableArn] }));
    props.auditBus.grantPutEventsTo(apiFunction);
    this.workflow.stateMachine.grantStartExecution(apiFunction);
    // A cancellation fails the task an onboarding waits in.
    apiFunction.addToRolePolicy(taskResponse());
    // Whether a cancelled onboarding's workflow still runs (else the API compensates itself).
    const executionsArn = this.formatArn({ service: 'states', resource: 'execution', resourceName: `${this.workflow.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionsArn] }));
    acknowledgeWildcard(apiFunction.role!.node.tryFindChild('DefaultPolicy')!, executionsArn, "The onboarding state machine's executions, each named after its onboarding.");
    // The team's secrets: ListSecrets has no resource-level permission; its filters are by tag.
    apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    // RotateSecret (rotate now) needs the caller to be allowed to invoke the rotation function.
    apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: rotators }));
    apiFunction.addToRolePolicy(onSecrets(['DescribeSecret', 'RotateSecret']));
    // Offboarding acts only on secrets an onboarding marked.
    apiFunction.addToRolePolicy(onSecrets(['CancelRotateSecret', 'UpdateSecretVersionStage', 'UntagResource'], true));
    grantAssumeMemberRole(apiFunction, 'onboarding', props.organization);
    grantAssumeMemberRole(apiFunction, 'inventory', props.organization);
    functions.ApiHandler = apiFunction;

    const compliance = new ComplianceEvaluator(this, 'Compliance', {
      table: this.table,
      auditBus: props.auditBus,
      orgEventsBus: props.orgEventsBus,
      rotatorArns: { fleet: props.rotator.functionArn, placements: Object.fromEntries(Object.entries(props.placements ?? {}).map(([vpc, fn]) => [vpc, fn.functionArn])) },
      organization: props.organization,
      policy: props.compliancePolicy,
      bundle: props.bundle,
    });
    // "Evaluate now" starts a full evaluation in the background; the API reads the results from the table.
    apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [compliance.fn.functionArn] }));
    apiFunction.addEnvironment('COMPLIANCE_FUNCTION_ARN', compliance.fn.functionArn);
    apiFunction.addEnvironment('RCP_COMPLIANCE_POLICY', JSON.stringify(props.compliancePolicy ?? {}));
    const compliancePolicy = compliance.fn.role!.node.tryFindChild('DefaultPolicy');

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_YEAR });
    this.api = new SpecRestApi(this, 'Api', {
      restApiName: 'rcp-api',
      apiDefinition: ApiDefinition.fromInline(apiGatewayDefinition(this, apiFunction)),
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    apiFunction.addPermission('ApiGatewayInvoke', {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: this.api.arnForExecuteApi('*', '/*', '*'),
    });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG2', reason: 'Request validation is in the definition: every operation uses the "all" validator (body and parameters) from openapi.yaml.' });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'Every operation uses AWS_IAM (SigV4) authorisation, set in the definition.' });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-COG4', reason: 'Callers are internal platforms and engineers with IAM identities; IAM (SigV4) is the authoriser.' });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG3', reason: 'An IAM-authorised internal API; a WAF web ACL is the deploying organisation\'s choice (associate one to the stage).' });
    const cwRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cwRole) {
      Validations.of(cwRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level logging role; AWS's managed policy is the documented one for it.",
      });
    }

    const tableId = this.getLogicalId(this.table.node.defaultChild as CfnTable);
    if (compliancePolicy) Validations.of(compliancePolicy).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`, reason: "The table's own indexes (byTeam), created with it." });
    for (const fn of Object.values(functions)) {
      Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: 'The product targets nodejs22.x (a fixed choice); the runtime moves with the project.' });
      const policy = fn.role!.node.tryFindChild('DefaultPolicy');
      if (!policy) continue;
      Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (and, for the API, secretsmanager:ListSecrets, filtered by team tag) have no resource-level permissions.' });
      acknowledgeWildcard(policy, secrets, 'Onboarding works on whichever secret a team names; it gets no GetSecretValue, and API authorisation limits callers to their team.');
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

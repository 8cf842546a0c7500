import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { productFunction } from './bundling.ts';
import { centralRoleName } from './central-role-names.ts';
import { FORWARDED_API_CALLS, FORWARDED_SERVICE_EVENTS } from './member-forwarding-stack.ts';
import { acknowledgeWildcard } from './nag.ts';
import { grantAssumeMemberRole, organizationEnvironment, type OrganizationSettings } from './organization.ts';

/** The secret events that re-evaluate one secret within seconds (the others do not change a rule's input). */
export const COMPLIANCE_EVENTS = {
  service: FORWARDED_SERVICE_EVENTS.filter((e) => e !== 'RotationStarted'),
  apiCalls: FORWARDED_API_CALLS.filter((e) => ['RotateSecret', 'CancelRotateSecret', 'CreateSecret', 'DeleteSecret', 'RestoreSecret', 'TagResource', 'UntagResource'].includes(e)),
};

export interface ComplianceEvaluatorProps {
  table: ITable;
  auditBus: IEventBus;
  /** The central bus member accounts forward their Secrets Manager events to. */
  orgEventsBus?: IEventBus;
  /** The product's rotators: rotation by any other function is someone else's. */
  rotatorArns: { fleet: string; placements: Record<string, string> };
  organization?: OrganizationSettings;
  /** The compliance policy (services/compliance/policy.ts), as JSON. */
  policy?: unknown;
  /** How often the whole organisation is evaluated. */
  schedule?: Schedule;
  bundle: boolean;
}

/**
 * The compliance evaluator (services/compliance): every secret of every member account and region
 * through the inventory role, hourly; one secret within seconds of its own event (the member
 * accounts' events on the central bus, and this account's on its default bus); on demand from the API.
 */
export class ComplianceEvaluator extends Construct {
  readonly fn: LambdaFunction;

  constructor(scope: Construct, id: string, props: ComplianceEvaluatorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.fn = productFunction(this, 'Function', 'services/compliance/handler.ts', {
      description: "compliance: evaluates the organisation's secrets against the rules (hourly, on demand, after each secret's event)",
      roleName: centralRoleName('compliance', stack.region),
      // A full evaluation of a large organisation pages through every account and region.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: {
        RCP_TABLE_NAME: props.table.tableName,
        AUDIT_BUS_NAME: props.auditBus.eventBusName,
        FLEET_ROTATOR_ARN: props.rotatorArns.fleet,
        ROTATOR_PLACEMENTS: JSON.stringify(props.rotatorArns.placements),
        ...(props.policy ? { RCP_COMPLIANCE_POLICY: JSON.stringify(props.policy) } : {}),
        ...organizationEnvironment(props.organization),
      },
      bundle: props.bundle,
    });
    props.table.grantReadWriteData(this.fn);
    props.auditBus.grantPutEventsTo(this.fn);
    // The central account's own secrets: ListSecrets has no resource-level permission; DescribeSecret never returns a value.
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    const ownSecrets = `arn:${stack.partition}:secretsmanager:*:${stack.account}:secret:*`;
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: [ownSecrets] }));
    grantAssumeMemberRole(this.fn, 'inventory', props.organization);

    const target = () => new LambdaTarget(this.fn, { retryAttempts: 4, maxEventAge: Duration.hours(1) });
    new Rule(this, 'Hourly', { description: 'a full compliance evaluation of the organisation', schedule: props.schedule ?? Schedule.rate(Duration.hours(1)), targets: [target()] });
    const pattern = {
      source: ['aws.secretsmanager'],
      detailType: ['AWS Service Event via CloudTrail', 'AWS API Call via CloudTrail'],
      detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: [...COMPLIANCE_EVENTS.service, ...COMPLIANCE_EVENTS.apiCalls] },
    };
    if (props.orgEventsBus) {
      new Rule(this, 'MemberSecretEvents', { eventBus: props.orgEventsBus, description: "a member account's secret changed or rotated: re-evaluate that secret", eventPattern: pattern, targets: [target()] });
    }
    new Rule(this, 'OwnSecretEvents', {
      eventBus: EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      description: "a secret of the central account changed or rotated: re-evaluate that secret",
      eventPattern: pattern,
      targets: [target()],
    });
    Validations.of(this.fn).acknowledge({ id: 'AwsSolutions-L1', reason: 'The product targets nodejs22.x (a fixed choice); the runtime moves with the project.' });
    const policy = this.fn.role!.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray and secretsmanager:ListSecrets have no resource-level permissions; the inventory reads names, tags and dates, never values.' });
      acknowledgeWildcard(policy, ownSecrets, "DescribeSecret on this account's secrets in every region it serves: compliance looks at every secret (never its value).");
    }
  }
}

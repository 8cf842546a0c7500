import { Aws, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { TemplateOnlyStack } from './template-only-stack.ts';

/** Secrets Manager's rotation outcomes, which CloudTrail delivers as service events. */
export const FORWARDED_SERVICE_EVENTS = ['RotationStarted', 'RotationSucceeded', 'RotationFailed', 'RotationAbandoned'];
/** The API calls that change a secret's rotation, existence, ownership tags or value. */
export const FORWARDED_API_CALLS = [
  'RotateSecret',
  'CancelRotateSecret',
  'CreateSecret',
  'DeleteSecret',
  'RestoreSecret',
  'TagResource',
  'UntagResource',
  'PutSecretValue',
  'UpdateSecret',
];

/**
 * Forwards a member account's Secrets Manager events, in one region, to the central bus
 * (`rcp-org-events`), where compliance re-evaluates the secret. Deploy it in every region that
 * holds secrets. Parameter: CentralEventBusArn. AWS API calls reach EventBridge only when
 * CloudTrail records management events (an organisation trail does).
 */
export class MemberForwardingStack extends TemplateOnlyStack {
  readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: "Secret rotation control plane, member account: forwards this region's Secrets Manager events to the central bus",
      ...props,
    });
    const centralBusArn = this.parameter('CentralEventBusArn', {
      description: "The central account's bus rcp-org-events (output of its RcpAudit stack), e.g. arn:aws:events:us-east-1:111122223333:event-bus/rcp-org-events",
      allowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[A-Za-z0-9._/-]+$',
      constraintDescription: 'an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)',
    }).valueAsString;

    // EventBridge needs a role to put events on a bus in another account of an organisation (and in
    // another region); AWS recommends one for every bus target. Only EventBridge of this account may use it.
    const role = new Role(this, 'ForwardingRole', {
      description: "EventBridge forwarding this account's Secrets Manager events to the control plane's central bus",
      assumedBy: new ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    });
    // The target grants the role events:PutEvents on the central bus, and nothing else.
    const target = new EventBusTarget(EventBus.fromEventBusArn(this, 'CentralBus', centralBusArn), { role });

    const secretsManager = (detailType: string, eventNames: string[]) => ({
      source: ['aws.secretsmanager'],
      detailType: [detailType],
      detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: eventNames },
    });
    this.rules = [
      new Rule(this, 'RotationOutcomes', {
        description: "Secrets Manager's rotation outcomes, to the control plane's central bus",
        eventPattern: secretsManager('AWS Service Event via CloudTrail', FORWARDED_SERVICE_EVENTS),
        targets: [target],
      }),
      new Rule(this, 'SecretChanges', {
        description: "Secrets Manager calls that change a secret's rotation, existence, tags or value, to the control plane's central bus",
        eventPattern: secretsManager('AWS API Call via CloudTrail', FORWARDED_API_CALLS),
        targets: [target],
      }),
    ];
  }
}

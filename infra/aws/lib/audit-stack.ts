import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, AnyPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AUDIT_SOURCE } from '../../../shared/audit/audit-events.ts';
import { RESOURCES } from '../../../shared/names.ts';
import type { OrganizationSettings } from './organization.ts';

export interface AuditStackProps extends StackProps {
  /** Who may send events to the central bus `rcp-org-events`; without it only this account. */
  organization?: OrganizationSettings;
}

/**
 * The audit bus every part writes to, and its archive (kept a year, replayable); and the central
 * bus that member accounts forward their Secrets Manager events to (RcpMemberForwarding).
 */
export class AuditStack extends Stack {
  readonly bus: EventBus;
  readonly orgBus: EventBus;

  constructor(scope: Construct, id: string, props: AuditStackProps = {}) {
    super(scope, id, props);
    this.bus = new EventBus(this, 'AuditBus', { eventBusName: RESOURCES.auditBus, description: 'audit events of the secret rotation control plane' });
    this.bus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new Archive(this, 'AuditArchive', {
      sourceEventBus: this.bus,
      eventPattern: { source: [AUDIT_SOURCE] },
      retention: Duration.days(365),
      description: 'every audit event, for investigations and replay',
    });

    this.orgBus = new EventBus(this, 'OrgEventsBus', { eventBusName: RESOURCES.orgEventsBus, description: "member accounts' Secrets Manager events" });
    this.orgBus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new Archive(this, 'OrgEventsArchive', {
      sourceEventBus: this.orgBus,
      eventPattern: { source: ['aws.secretsmanager'] },
      retention: Duration.days(365),
      description: "member accounts' Secrets Manager events, for compliance investigations and replay",
    });
    new CfnOutput(this, 'OrgEventsBusArn', { value: this.orgBus.eventBusArn, description: 'CentralEventBusArn, the parameter of the member stack RcpMemberForwarding' });
    const org = props.organization;
    // Only what the member stacks forward: Secrets Manager's own events, which no account can forge
    // (PutEvents refuses an aws.* source), so a member cannot fill the bus with anything else.
    const onlySecretsManager = { 'events:source': 'aws.secretsmanager' };
    if (org?.organizationId) {
      this.orgBus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'PutEventsFromTheOrganization',
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.orgBus.eventBusArn],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': org.organizationId, ...onlySecretsManager } },
        }),
      );
    }
    if (org?.memberAccountIds?.length) {
      this.orgBus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'PutEventsFromMemberAccounts',
          principals: org.memberAccountIds.map((account) => new AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [this.orgBus.eventBusArn],
          conditions: { StringEquals: onlySecretsManager },
        }),
      );
    }
  }
}

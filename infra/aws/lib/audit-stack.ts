import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { AUDIT_SOURCE } from '../../../shared/audit/audit-events.ts';
import { RESOURCES } from '../../../shared/names.ts';

/** The audit bus every part writes to, and its archive (kept a year, replayable). */
export class AuditStack extends Stack {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.bus = new EventBus(this, 'AuditBus', { eventBusName: RESOURCES.auditBus, description: 'audit events of the secret rotation control plane' });
    this.bus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new Archive(this, 'AuditArchive', {
      sourceEventBus: this.bus,
      eventPattern: { source: [AUDIT_SOURCE] },
      retention: Duration.days(365),
      description: 'every audit event, for investigations and replay',
    });
  }
}

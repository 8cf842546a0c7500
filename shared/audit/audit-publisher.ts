import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AUDIT_SOURCE, auditDetailSchema, type AuditDetail, type DetailType } from './audit-events.ts';

export interface AuditSink {
  publish(detailType: DetailType, detail: AuditDetail): Promise<void>;
}

/**
 * Puts audit events on the audit bus. Neither a detail that does not match the schema (reported
 * by field name only) nor a bus that refuses the event fails the caller's work: both go to
 * `onFailure`, so a rotation never fails because the audit trail hiccupped.
 */
export class EventBridgeAuditSink implements AuditSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly onFailure: (reason: string) => void,
  ) {}

  async publish(detailType: DetailType, detail: AuditDetail): Promise<void> {
    const checked = auditDetailSchema.safeParse(detail);
    if (!checked.success) {
      this.onFailure(`audit detail does not match its schema: ${checked.error.issues.map((i) => `${i.path.join('.')} (${i.code})`).join(', ')}`);
      return;
    }
    const valid = checked.data;
    try {
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: this.busName, Source: AUDIT_SOURCE, DetailType: detailType, Detail: JSON.stringify(valid), Resources: [valid.secretArn] }],
        }),
      );
      if (out.FailedEntryCount) this.onFailure(`${out.Entries?.[0]?.ErrorCode}: ${out.Entries?.[0]?.ErrorMessage}`);
    } catch (err) {
      this.onFailure(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}

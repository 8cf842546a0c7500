import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AUDIT_SOURCE, detailSchemaFor, type AuditDetail, type ComplianceChangedDetail, type ComplianceEvaluatedDetail, type StepDetailType } from './audit-events.ts';

export type AuditEvent =
  | { detailType: StepDetailType; detail: AuditDetail }
  | { detailType: 'Compliance Evaluated'; detail: ComplianceEvaluatedDetail }
  | { detailType: 'Compliance Changed'; detail: ComplianceChangedDetail };

export interface AuditSink {
  /** Events of one moment go in one call (PutEvents takes up to 10). */
  publish(...events: AuditEvent[]): Promise<void>;
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

  async publish(...events: AuditEvent[]): Promise<void> {
    const entries = [];
    for (const { detailType, detail } of events) {
      const checked = detailSchemaFor(detailType).safeParse(detail);
      if (!checked.success) {
        this.onFailure(`audit detail does not match its schema: ${checked.error.issues.map((i) => `${i.path.join('.')} (${i.code})`).join(', ')}`);
        continue;
      }
      entries.push({ EventBusName: this.busName, Source: AUDIT_SOURCE, DetailType: detailType, Detail: JSON.stringify(checked.data), ...(checked.data.secretArn ? { Resources: [checked.data.secretArn] } : {}) });
    }
    if (entries.length === 0) return;
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
      for (const entry of out.Entries ?? []) if (entry.ErrorCode) this.onFailure(`${entry.ErrorCode}: ${entry.ErrorMessage}`);
    } catch (err) {
      this.onFailure(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}

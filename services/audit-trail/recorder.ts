import { AUDIT_SOURCE, auditDetailSchema } from '../../shared/audit/audit-events.ts';
import type { AuditTrail } from '../../shared/audit/audit-trail.ts';

/** An audit event as the EventBridge rule delivers it. */
export interface DeliveredEvent {
  id?: string;
  time?: string;
  source?: string;
  'detail-type'?: string;
  detail?: unknown;
}

export type RecordOutcome = 'recorded' | 'already-recorded' | 'ignored';

/**
 * Adds one audit event to its secret's trail. An event that is not the product's, or whose detail
 * does not parse, is ignored (logged by the caller), not retried: retrying would never make it valid.
 * The detail is stored as the schema parses it, which admits no field beyond the listed ones.
 */
export async function recordAuditEvent(event: DeliveredEvent, deps: { trail: Pick<AuditTrail, 'record'>; retentionDays: number }): Promise<{ outcome: RecordOutcome; reason?: string }> {
  if (event.source !== AUDIT_SOURCE) return { outcome: 'ignored', reason: `source ${String(event.source)} is not ${AUDIT_SOURCE}` };
  if (!event.id || !event.time || Number.isNaN(Date.parse(event.time)) || !event['detail-type']) return { outcome: 'ignored', reason: 'the event has no id, time or detail-type' };
  const parsed = auditDetailSchema.safeParse(event.detail);
  if (!parsed.success) return { outcome: 'ignored', reason: `the detail does not match the audit schema: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}` };
  const recorded = await deps.trail.record({ id: event.id, time: new Date(event.time).toISOString(), detailType: event['detail-type'], detail: parsed.data }, deps.retentionDays);
  return { outcome: recorded ? 'recorded' : 'already-recorded' };
}

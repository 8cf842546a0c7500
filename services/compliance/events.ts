import type { Home } from '../../shared/accounts.ts';

/** What invokes the compliance function: its schedule, the API ("evaluate now"), or a secret's own event. */
export type ComplianceInvocation =
  | { kind: 'full'; trigger: 'schedule' | 'request'; evaluationId?: string; actor: string }
  | { kind: 'one'; secretId: string; where: Home; eventName: string }
  | { kind: 'ignored'; why: string };

interface IncomingEvent {
  source?: string;
  'detail-type'?: string;
  account?: string;
  region?: string;
  detail?: {
    eventName?: string;
    additionalEventData?: { SecretId?: string } | null;
    requestParameters?: { secretId?: string; name?: string } | null;
    responseElements?: { arn?: string; aRN?: string } | null;
  };
  action?: string;
  evaluationId?: string;
  actor?: string;
}

/**
 * Which evaluation an invocation asks for. A Secrets Manager event (a member's, forwarded to the
 * central bus, or the central account's own) names its secret: the service events in
 * additionalEventData, the API calls in their response (the ARN) or request (maybe a name, which
 * lives in the event's account and region).
 */
export function invocationOf(event: IncomingEvent): ComplianceInvocation {
  if (event.action === 'evaluate') return { kind: 'full', trigger: 'request', ...(event.evaluationId ? { evaluationId: event.evaluationId } : {}), actor: event.actor ?? 'api' };
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return { kind: 'full', trigger: 'schedule', actor: 'schedule' };
  if (event.source === 'aws.secretsmanager' && event.detail) {
    const d = event.detail;
    const secretId = d.additionalEventData?.SecretId ?? d.responseElements?.arn ?? d.responseElements?.aRN ?? d.requestParameters?.secretId ?? d.requestParameters?.name;
    if (!secretId || !event.account || !event.region) return { kind: 'ignored', why: 'the event names no secret' };
    return { kind: 'one', secretId, where: { account: event.account, region: event.region }, eventName: d.eventName ?? 'unknown' };
  }
  return { kind: 'ignored', why: `not an event compliance handles (${event.source ?? 'no source'} / ${event['detail-type'] ?? 'no detail-type'})` };
}

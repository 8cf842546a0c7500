import type { AuditEventView } from '../../shared/contract/types.ts';
import type { TrailCursor } from '../../shared/audit/audit-trail.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';
import { ownedSecret } from './secret-access.ts';

/**
 * The audit trail of one of the team's secrets, newest first. Another team's secret is the same 404
 * as a missing one (ownedSecret). A page token names its secret, so it cannot read another's trail.
 */
export async function listSecretEvents(deps: ApiDeps, caller: Caller, secretId: string, query: { limit?: number; nextToken?: string }): Promise<{ items: AuditEventView[]; nextToken?: string }> {
  const arn = (await ownedSecret(deps, caller, secretId)).ARN!;
  const after = query.nextToken === undefined ? undefined : cursorOf(query.nextToken, arn);
  const page = await deps.auditTrail.page(arn, { limit: query.limit ?? 25, after });
  return {
    items: page.items.map((e) => ({ id: e.id, time: e.time, detailType: e.detailType, detail: e.detail })),
    ...(page.next ? { nextToken: Buffer.from(JSON.stringify(page.next)).toString('base64url') } : {}),
  };
}

function cursorOf(token: string, secretArn: string): TrailCursor {
  const invalid = () => problem(400, 'invalid-next-token', "nextToken is not one this API returned for this secret's events: start from the first page");
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const c = cursor as Partial<TrailCursor> | null;
  if (!c || typeof c !== 'object' || c.secretArn !== secretArn || typeof c.sk !== 'string' || Object.keys(c).length !== 2) throw invalid();
  return { secretArn, sk: c.sk };
}

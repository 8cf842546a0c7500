import type { FindingState, RemediationAction, RuleId, RuleResult } from './rules.ts';

/** One rule's latest result on one secret, with when the secret entered that state. */
export interface StoredResult extends RuleResult {
  since: string;
}

/** What the store keeps per secret: where it lives, who owns it, each rule's latest result. */
export interface SecretRecord {
  arn: string;
  name: string;
  account: string;
  region: string;
  team?: string;
  results: Partial<Record<RuleId, StoredResult>>;
  lastFailure?: { at: string; step: string; errorClass?: string; reason: string };
  evaluatedAt: string;
}

/** A finding as the API shows it (the contract's Finding). */
export interface Finding {
  findingId: string;
  secretArn: string;
  name: string;
  account: string;
  region: string;
  team?: string;
  rule: RuleId;
  state: FindingState;
  reason: string;
  remediation?: { action: RemediationAction; detail: string };
  since: string;
  evaluatedAt: string;
  lastFailure?: { at: string; step: string; errorClass?: string; reason: string };
}

/** A finding's id names its secret and rule, so a finding can be acted on without a lookup table. */
export const findingId = (secretArn: string, rule: RuleId) => Buffer.from(`${rule}|${secretArn}`, 'utf8').toString('base64url');

export function parseFindingId(id: string): { rule: string; secretArn: string } | undefined {
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar < 1 || !text.slice(bar + 1).startsWith('arn:')) return undefined;
  return { rule: text.slice(0, bar), secretArn: text.slice(bar + 1) };
}

export function findingsOf(record: SecretRecord): Finding[] {
  return Object.entries(record.results).map(([rule, r]) => ({
    findingId: findingId(record.arn, rule as RuleId),
    secretArn: record.arn,
    name: record.name,
    account: record.account,
    region: record.region,
    ...(record.team ? { team: record.team } : {}),
    rule: rule as RuleId,
    state: r!.state,
    reason: r!.reason,
    ...(r!.remediation ? { remediation: r!.remediation } : {}),
    since: r!.since,
    evaluatedAt: record.evaluatedAt,
    ...(rule === 'rotation-failing' && record.lastFailure && r!.state === 'NON_COMPLIANT' ? { lastFailure: record.lastFailure } : {}),
  }));
}

export const recordCompliant = (record: SecretRecord) => Object.values(record.results).every((r) => r!.state !== 'NON_COMPLIANT');

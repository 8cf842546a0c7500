import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { findingsOf, parseFindingId, recordCompliant, type Finding, type SecretRecord } from '../compliance/findings.ts';
import { toAsff } from '../compliance/asff.ts';
import { evaluateOne, newEvaluationId, percent } from '../compliance/evaluator.ts';
import { parametersFor } from '../compliance/policy.ts';
import { RULES, RULE_IDS, type FindingState, type RuleId } from '../compliance/rules.ts';
import type { Count, EvaluationSummary } from '../compliance/store.ts';
import { secretLocation } from '../../shared/accounts.ts';
import { TAGS } from '../../shared/names.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';

export interface ComplianceFilter {
  account?: string;
  region?: string;
  team?: string;
  rule?: RuleId;
  state?: FindingState;
}

/** The team whose secrets the caller may see with this filter: its own, or (an auditor) any or all. */
function visibleTeam(caller: Caller, team: string | undefined): string | undefined {
  if (caller.auditor) return team;
  if (team && team !== caller.team) throw problem(403, 'not-an-auditor', `team ${caller.team} sees only its own secrets: leave "team" out or set it to "${caller.team}" (auditors see the organisation)`);
  return caller.team;
}

/** The records the caller may see that match the account, region and team filters. */
async function visibleRecords(deps: ApiDeps, caller: Caller, filter: ComplianceFilter): Promise<SecretRecord[]> {
  const team = visibleTeam(caller, filter.team);
  const scopeTimes = await deps.compliance.scopeEvaluations.all();
  const matches = (r: SecretRecord) => (!filter.account || r.account === filter.account) && (!filter.region || r.region === filter.region);
  const out: SecretRecord[] = [];
  const add = (r: SecretRecord) => {
    if (!matches(r)) return;
    // A record unchanged by later full evaluations is still their result.
    const scopeAt = scopeTimes.get(`${r.account}#${r.region}`);
    out.push(scopeAt && scopeAt > r.evaluatedAt ? { ...r, evaluatedAt: scopeAt } : r);
  };
  if (team) {
    for await (const r of deps.compliance.store.teamRecords(team)) add(r);
  } else {
    const scopes = deps.scopes().filter((s) => (!filter.account || s.account === filter.account) && (!filter.region || s.region === filter.region));
    for (const scope of scopes) for await (const r of deps.compliance.store.scopeRecords(scope.account, scope.region)) add(r);
  }
  return out;
}

/** Findings that match, non-compliant first, the longest non-compliant first. */
async function matchingFindings(deps: ApiDeps, caller: Caller, filter: ComplianceFilter): Promise<Finding[]> {
  const findings = (await visibleRecords(deps, caller, filter)).flatMap(findingsOf).filter((f) => (!filter.rule || f.rule === filter.rule) && (!filter.state || f.state === filter.state));
  const rank = (s: FindingState) => (s === 'NON_COMPLIANT' ? 0 : s === 'COMPLIANT' ? 1 : 2);
  return findings.sort((a, b) => rank(a.state) - rank(b.state) || a.since.localeCompare(b.since) || a.secretArn.localeCompare(b.secretArn) || a.rule.localeCompare(b.rule));
}

export async function listFindings(deps: ApiDeps, caller: Caller, filter: ComplianceFilter, page: { limit?: number; nextToken?: string }) {
  let offset = 0;
  if (page.nextToken) {
    const parsed = Number(/^o(\d{1,9})$/.exec(page.nextToken)?.[1]);
    if (!Number.isInteger(parsed)) throw problem(400, 'invalid-next-token', 'nextToken is not one this API returned for this listing: start from the first page');
    offset = parsed;
  }
  const limit = page.limit ?? 25;
  const all = await matchingFindings(deps, caller, filter);
  const items = all.slice(offset, offset + limit);
  return { items, ...(offset + limit < all.length ? { nextToken: `o${offset + limit}` } : {}) };
}

const countOf = (key: string, c: Count) => ({ key, secrets: c.secrets, compliant: c.secrets - c.nonCompliant, nonCompliant: c.nonCompliant, compliantPercent: percent(c.secrets - c.nonCompliant, c.secrets) });
const counts = (map: Map<string, Count>) => [...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => countOf(k, c));

/** The trend point of a past evaluation for this view (the most specific of team, account, region). */
function trendPoint(s: EvaluationSummary, team: string | undefined, filter: ComplianceFilter): Count | undefined {
  if (team) return s.byTeam[team];
  if (filter.account) return s.byAccount[filter.account];
  if (filter.region) return s.byRegion[filter.region];
  return { secrets: s.secrets, nonCompliant: s.nonCompliant };
}

export async function complianceSummary(deps: ApiDeps, caller: Caller, filter: ComplianceFilter) {
  const records = await visibleRecords(deps, caller, filter);
  const byAccount = new Map<string, Count>();
  const byRegion = new Map<string, Count>();
  const byTeam = new Map<string, Count>();
  const byRule = new Map<RuleId, { compliant: number; nonCompliant: number; notApplicable: number }>(RULE_IDS.map((r) => [r, { compliant: 0, nonCompliant: 0, notApplicable: 0 }]));
  let nonCompliant = 0;
  let evaluatedAt = '';
  const bump = (map: Map<string, Count>, key: string, failing: boolean) => {
    const c = map.get(key) ?? { secrets: 0, nonCompliant: 0 };
    c.secrets++;
    if (failing) c.nonCompliant++;
    map.set(key, c);
  };
  for (const r of records) {
    const failing = !recordCompliant(r);
    if (failing) nonCompliant++;
    bump(byAccount, r.account, failing);
    bump(byRegion, r.region, failing);
    bump(byTeam, r.team ?? '(none)', failing);
    if (r.evaluatedAt > evaluatedAt) evaluatedAt = r.evaluatedAt;
    for (const [rule, result] of Object.entries(r.results)) {
      const c = byRule.get(rule as RuleId);
      if (!c) continue;
      if (result!.state === 'COMPLIANT') c.compliant++;
      else if (result!.state === 'NON_COMPLIANT') c.nonCompliant++;
      else c.notApplicable++;
    }
  }
  const team = caller.auditor ? filter.team : caller.team;
  const trend = (await deps.compliance.store.summaries())
    .map((s) => ({ at: s.at, point: trendPoint(s, team, filter) }))
    .filter((t): t is { at: string; point: Count } => t.point !== undefined)
    .map(({ at, point }) => ({ at, secrets: point.secrets, nonCompliant: point.nonCompliant, compliantPercent: percent(point.secrets - point.nonCompliant, point.secrets) }));
  const secrets = records.length;
  return {
    ...(evaluatedAt ? { evaluatedAt } : {}),
    totals: { secrets, compliant: secrets - nonCompliant, nonCompliant },
    compliantPercent: percent(secrets - nonCompliant, secrets),
    byRule: [...byRule].map(([rule, c]) => ({ rule, ...c })),
    byAccount: counts(byAccount),
    byRegion: counts(byRegion),
    byTeam: counts(byTeam),
    trend,
  };
}

export function complianceRules(deps: ApiDeps, caller: Caller) {
  const parameters = parametersFor(deps.compliance.policy, { account: deps.home.account, team: caller.auditor ? undefined : caller.team });
  return { items: RULES.map((r) => ({ id: r.id, title: r.title, ...(r.awsControl ? { awsControl: r.awsControl } : {}), ...(r.parameters ? { parameters: r.parameters(parameters) } : {}) })) };
}

const CSV_COLUMNS = ['findingId', 'secretArn', 'name', 'account', 'region', 'team', 'rule', 'state', 'reason', 'since', 'evaluatedAt', 'remediation'] as const;
const csvCell = (v: string) => {
  // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe (OWASP CSV injection).
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export async function exportFindings(deps: ApiDeps, caller: Caller, filter: ComplianceFilter, format: 'csv' | 'json' | 'asff') {
  const findings = await matchingFindings(deps, caller, filter);
  if (format === 'json') return { contentType: 'application/json', body: JSON.stringify({ items: findings }) };
  if (format === 'asff') return { contentType: 'application/json', body: JSON.stringify({ Findings: findings.map((f) => toAsff(f)) }) };
  const rows = findings.map((f) => CSV_COLUMNS.map((c) => csvCell(c === 'remediation' ? (f.remediation ? `${f.remediation.action}: ${f.remediation.detail}` : '') : String(f[c] ?? ''))).join(','));
  return { contentType: 'text/csv; charset=utf-8', body: `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n` };
}

const NOT_VISIBLE = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'AccessDenied', 'ValidationException', 'InvalidParameterException']);
const notFound = (caller: Caller, secretId: string) =>
  problem(404, 'secret-not-found', `no secret "${secretId.slice(0, 256)}" ${caller.auditor ? 'in the organisation' : `of team ${caller.team}`}: check the name or ARN (its account and region), and that the secret is tagged ${TAGS.team}=${caller.team}`);

/** One secret's findings and history; a secret not evaluated yet is evaluated now. */
export async function secretCompliance(deps: ApiDeps, caller: Caller, secretId: string) {
  const where = secretLocation(secretId, deps.home);
  let arn = secretId.startsWith('arn:') ? secretId : undefined;
  if (!arn) {
    // A name (or partial ARN) lives at home: its full ARN keys the stored record.
    try {
      arn = (await deps.compliance.inventoryFor(where).send(new DescribeSecretCommand({ SecretId: secretId }))).ARN;
    } catch (err) {
      if (NOT_VISIBLE.has((err as Error).name)) throw notFound(caller, secretId);
      throw err;
    }
  }
  let record = arn ? await deps.compliance.store.getSecret(arn, where.account, where.region) : undefined;
  if (!record) {
    try {
      record = await evaluateOne(deps.compliance, secretId, { trigger: 'request', actor: caller.actor, where });
    } catch (err) {
      if (NOT_VISIBLE.has((err as Error).name)) throw notFound(caller, secretId);
      throw err;
    }
  }
  // Another team's secret is answered as one that does not exist.
  if (!record || (!caller.auditor && record.team !== caller.team)) throw notFound(caller, secretId);
  return { secretArn: record.arn, findings: findingsOf(record), history: await deps.compliance.store.history(record.arn) };
}

export async function startEvaluation(deps: ApiDeps, caller: Caller) {
  const running = await deps.compliance.store.runningEvaluation();
  if (running && deps.now() - running.claimedAt < 15 * 60_000) {
    throw problem(409, 'evaluation-running', `evaluation ${running.evaluationId} is running: follow it at GET /v1/compliance/evaluations/${running.evaluationId}`);
  }
  const evaluationId = newEvaluationId();
  const evaluation = { evaluationId, status: 'running' as const, trigger: 'request' as const, startedAt: new Date(deps.now()).toISOString() };
  await deps.compliance.store.putEvaluation(evaluation);
  await deps.startEvaluation({ evaluationId, actor: caller.actor });
  return evaluation;
}

export async function getEvaluation(deps: ApiDeps, evaluationId: string) {
  const evaluation = await deps.compliance.store.getEvaluation(evaluationId);
  if (!evaluation) throw problem(404, 'evaluation-not-found', `no evaluation ${evaluationId}: start one with POST /v1/compliance/evaluations`);
  return evaluation;
}

/** The rules whose finding an onboarding fixes (rotation missing, too rare, failing, off, or by another function). */
export const FIXED_BY_ONBOARDING: ReadonlySet<string> = new Set<RuleId>(['rotation-enabled', 'scheduled-rotation-success', 'periodic-rotation', 'rotation-failing', 'rotated-by-other', 'onboarded-rotation-off']);

/** The secret a finding names, if the caller's team owns it and an onboarding would fix the finding. */
export async function remediableSecret(deps: ApiDeps, caller: Caller, findingIdText: string): Promise<{ secretArn: string; rule: string }> {
  const parsed = parseFindingId(findingIdText);
  const notFoundFinding = problem(404, 'finding-not-found', `no finding ${findingIdText.slice(0, 64)} of team ${caller.team}: list them with GET /v1/compliance/findings`);
  if (!parsed || !(RULE_IDS as readonly string[]).includes(parsed.rule)) throw notFoundFinding;
  const where = secretLocation(parsed.secretArn, deps.home);
  const record = await deps.compliance.store.getSecret(parsed.secretArn, where.account, where.region);
  if (!record || record.team !== caller.team) throw notFoundFinding;
  if (!FIXED_BY_ONBOARDING.has(parsed.rule)) {
    throw problem(422, 'not-fixed-by-onboarding', `an onboarding does not fix a ${parsed.rule} finding: ${record.results[parsed.rule as RuleId]?.remediation?.detail ?? 'see the finding'}`);
  }
  return { secretArn: parsed.secretArn, rule: parsed.rule };
}

/** The team's non-compliant secrets that an onboarding would fix ("rotation not configured", "rotation failing", or the given rule). */
export async function secretsFromFindings(deps: ApiDeps, caller: Caller, filter: { rule?: RuleId; account?: string; region?: string }): Promise<string[]> {
  const rules = filter.rule ? [filter.rule] : (['rotation-enabled', 'rotation-failing'] as RuleId[]);
  if (filter.rule && !FIXED_BY_ONBOARDING.has(filter.rule)) throw problem(422, 'not-fixed-by-onboarding', `an onboarding does not fix a ${filter.rule} finding: choose one of ${[...FIXED_BY_ONBOARDING].join(', ')}`);
  const arns = new Set<string>();
  for await (const r of deps.compliance.store.teamRecords(caller.team)) {
    if ((filter.account && r.account !== filter.account) || (filter.region && r.region !== filter.region)) continue;
    if (rules.some((rule) => r.results[rule]?.state === 'NON_COMPLIANT')) arns.add(r.arn);
  }
  return [...arns];
}

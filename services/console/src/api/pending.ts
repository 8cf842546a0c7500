import type { AuditEventView, ComplianceSummary, Finding, FindingState, RuleId } from '../../../../shared/contract/types.ts';
import { ApiProblem } from './client.ts';
import { session } from './session.ts';

/**
 * Calls to operations another branch is adding to openapi.yaml (the audit trail): their schemas are
 * already in the contract's components, so the answers are typed; the paths join the typed client
 * when they are in the contract.
 */
async function get<T>(path: string): Promise<T> {
  const token = session.token();
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const problem = body as ApiProblem['problem'] | undefined;
    throw new ApiProblem(problem?.detail ? problem : { type: 'about:blank', title: response.statusText, status: response.status, detail: `the API answered HTTP ${response.status}` });
  }
  return body as T;
}

export const secretEvents = (secretId: string, nextToken?: string) =>
  get<{ items: AuditEventView[]; nextToken?: string }>(`/v1/secrets/${encodeURIComponent(secretId)}/events?limit=50${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);

export interface ComplianceFilter {
  account?: string;
  region?: string;
  team?: string;
  rule?: RuleId;
  state?: FindingState;
}

const query = (filter: object) => {
  const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
  return params.size ? `?${params}` : '';
};

export const complianceSummary = (filter: Pick<ComplianceFilter, 'account' | 'region' | 'team'>) => get<ComplianceSummary>(`/v1/compliance/summary${query(filter)}`);

/** Every finding that matches (all pages: the table sorts and pages them here). */
export async function allFindings(filter: ComplianceFilter): Promise<Finding[]> {
  const items: Finding[] = [];
  let nextToken: string | undefined;
  do {
    const page = await get<{ items: Finding[]; nextToken?: string }>(`/v1/compliance/findings${query({ ...filter, limit: 100, nextToken })}`);
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/** The API's CSV export of the findings that match, as a file the browser saves. */
export async function exportFindingsCsv(filter: ComplianceFilter): Promise<Blob> {
  const token = session.token();
  const response = await fetch(`/v1/compliance/export${query({ format: 'csv', ...filter })}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    const problem = (await response.json().catch(() => undefined)) as ApiProblem['problem'] | undefined;
    throw new ApiProblem(problem?.detail ? problem : { type: 'about:blank', title: response.statusText, status: response.status, detail: `the export answered HTTP ${response.status}` });
  }
  return response.blob();
}

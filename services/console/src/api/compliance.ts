import type { Finding, FindingState, RuleId } from '../../../../shared/contract/types.ts';
import { api, ok } from './client.ts';

export interface ComplianceFilter {
  account?: string;
  region?: string;
  team?: string;
  rule?: RuleId;
  state?: FindingState;
}

export const complianceSummary = (filter: Pick<ComplianceFilter, 'account' | 'region' | 'team'>) => ok(api.GET('/v1/compliance/summary', { params: { query: filter } }));

/** Every finding that matches (all pages: the table sorts and pages them here). */
export async function allFindings(filter: ComplianceFilter): Promise<Finding[]> {
  const items: Finding[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ok(api.GET('/v1/compliance/findings', { params: { query: { ...filter, limit: 100, ...(nextToken ? { nextToken } : {}) } } }));
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/** The API's CSV export of the findings that match, as a file the browser saves. */
export const exportFindingsCsv = (filter: ComplianceFilter) => ok(api.GET('/v1/compliance/export', { params: { query: { format: 'csv', ...filter } }, parseAs: 'blob' }));

import type { AuditEventView } from '../../../../shared/contract/types.ts';
import { ApiProblem } from './client.ts';
import { session } from './session.ts';

/**
 * Calls to operations another branch is adding to openapi.yaml (the audit trail): their schemas are
 * already in the contract's components, so the answers are typed; the paths join the typed client
 * when they are in the contract.
 */
async function get<T>(path: string): Promise<T> {
  const authorization = session.authorization();
  const response = await fetch(path, { headers: authorization ? { authorization } : {} });
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const problem = body as ApiProblem['problem'] | undefined;
    throw new ApiProblem(problem?.detail ? problem : { type: 'about:blank', title: response.statusText, status: response.status, detail: `the API answered HTTP ${response.status}` });
  }
  return body as T;
}

export const secretEvents = (secretId: string, nextToken?: string) =>
  get<{ items: AuditEventView[]; nextToken?: string }>(`/v1/secrets/${encodeURIComponent(secretId)}/events?limit=50${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);


import type { Account } from '../../shared/contract/types.ts';
import type { ApiDeps } from './deps.ts';

/** The accounts the control plane serves, each with the regions it looks at. */
export function servedAccounts(deps: Pick<ApiDeps, 'scopes'>): Account[] {
  const byAccount = new Map<string, string[]>();
  for (const { account, region } of deps.scopes()) byAccount.set(account, [...(byAccount.get(account) ?? []), region]);
  return [...byAccount].map(([id, regions]) => ({ id, member: true, regions }));
}

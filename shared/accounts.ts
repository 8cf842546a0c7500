import type { AwsClients } from './aws/clients.ts';
import { memberRoleArn, type MEMBER_ROLES } from './names.ts';
import { accountOf, regionOf } from './runtime/settings.ts';

/** The central account and region the control plane runs in. */
export interface Home {
  account: string;
  region: string;
}

/** Where a secret lives: the account and region its ARN names (a bare name lives at home). */
export function secretLocation(secretId: string, home: Home): Home & { remote: boolean } {
  const account = secretId.startsWith('arn:') ? (accountOf(secretId) ?? home.account) : home.account;
  const region = secretId.startsWith('arn:') ? (regionOf(secretId) ?? home.region) : home.region;
  return { account, region, remote: account !== home.account };
}

/**
 * The clients that act on a secret: the control plane's own in its account (in the secret's
 * region), or a member account's role there. Acting through the member's role keeps each member's
 * own Secrets Manager quotas, and its role decides what the control plane may do.
 */
export function clientsForSecret(clients: AwsClients, home: Home, secretId: string, role: keyof typeof MEMBER_ROLES, options: { externalId?: string; sessionName: string }): AwsClients {
  return clientsIn(clients, home, secretLocation(secretId, home), role, options);
}

/** The clients that act in one account and region: the control plane's own at home, a member's role elsewhere. */
export function clientsIn(clients: AwsClients, home: Home, where: Home, role: keyof typeof MEMBER_ROLES, options: { externalId?: string; sessionName: string }): AwsClients {
  if (where.account === home.account) return clients.inRegion(where.region);
  return clients.as({ roleArn: memberRoleArn(where.account, role), region: where.region, externalId: options.externalId, sessionName: options.sessionName });
}

/**
 * Every account and region the control plane serves: its home account and the member accounts it
 * is given (RCP_MEMBER_ACCOUNT_IDS), in each region it is given (RCP_REGIONS, default its own).
 */
export function servedScopes(env: Record<string, string | undefined>, home: Home): Home[] {
  const list = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const accounts = [...new Set([home.account, ...list(env.RCP_MEMBER_ACCOUNT_IDS)])];
  const regions = [...new Set([home.region, ...list(env.RCP_REGIONS)])];
  return accounts.flatMap((account) => regions.map((region) => ({ account, region })));
}

import { DescribeSecretCommand, type DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { secretLocation } from '../../shared/accounts.ts';
import { isRoleRefused } from '../../shared/aws/errors.ts';
import { MEMBER_ROLES, TAGS } from '../../shared/names.ts';
import { ownerOf } from '../../shared/ownership.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';

const NOT_FOUND = new Set(['ResourceNotFoundException', 'AccessDeniedException']);

/**
 * A secret of the caller's team. One answer for a secret that does not exist, one that belongs to
 * another team and one no team has claimed: a team learns nothing of secrets that are not its own.
 */
export async function ownedSecret(
  deps: ApiDeps,
  caller: Caller,
  secretId: string,
  options: { mustBeManaged?: boolean; /** already described: check it without asking again */ described?: DescribeSecretCommandOutput } = {},
): Promise<DescribeSecretCommandOutput> {
  const notFound = () =>
    problem(
      404,
      'secret-not-found',
      `no secret "${secretId.slice(0, 256)}" of team ${caller.team}: check the name or ARN (its account and region), and that the secret is tagged ${TAGS.team}=${caller.team}`,
    );
  let described: DescribeSecretCommandOutput;
  try {
    described = options.described ?? (await deps.smFor(secretId).send(new DescribeSecretCommand({ SecretId: secretId })));
  } catch (err) {
    if (NOT_FOUND.has((err as Error).name)) throw notFound();
    const unreachable = memberAccountUnreachable(deps, secretId, err);
    if (unreachable) throw unreachable;
    throw err;
  }
  if (ownerOf(described.Tags) !== caller.team) throw notFound();
  if (options.mustBeManaged && described.Tags?.find((t) => t.Key === TAGS.managed)?.Value !== 'true') {
    throw problem(404, 'secret-not-onboarded', `secret "${secretId.slice(0, 256)}" is not onboarded: onboard it first (POST /v1/onboardings)`);
  }
  if (described.DeletedDate) throw problem(409, 'secret-deleted', 'the secret is scheduled for deletion: restore it first');
  return described;
}

/**
 * The member role of the secret's account could not be assumed: the account is not one the control
 * plane serves, or its role does not trust the control plane. Both are about the account, never the
 * secret (a team learns nothing of another team's secrets), and both are fixed there, so say which.
 */
function memberAccountUnreachable(deps: ApiDeps, secretId: string, err: unknown) {
  const { account, remote } = secretLocation(secretId, deps.home);
  if (!remote || !isRoleRefused(err)) return undefined;
  const members = [...new Set(deps.scopes().map((s) => s.account))].filter((a) => a !== deps.home.account);
  // Without a list of members (organisation discovery) membership is not known here: the second answer names both causes.
  if (members.length && !members.includes(account)) {
    return problem(
      403,
      'account-not-member',
      `account ${account} is not a member account of this control plane (members: ${members.join(', ') || 'none'}): ` +
        `it acts in another account only through that account's ${MEMBER_ROLES.onboarding} role. Add the account to the organisation and deploy the RcpMemberRoles stack there`,
    );
  }
  return problem(
    403,
    'member-role-refused',
    `the control plane could not assume ${MEMBER_ROLES.onboarding} in account ${account}: ${members.length ? '' : 'the account is not a member of its organisation, or '}the role is missing or its trust does not allow the control plane. ` +
      `Deploy (or update) the RcpMemberRoles stack in account ${account} with CentralAccountId=${deps.home.account} and this control plane's ExternalId or OrganizationId`,
  );
}

import { DescribeSecretCommand, type DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { TAGS } from '../../shared/names.ts';
import { ownerOf } from '../../shared/ownership.ts';
import type { Caller } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { problem } from './problem.ts';

const NOT_FOUND = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'AccessDenied']);

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
    throw err;
  }
  if (ownerOf(described.Tags) !== caller.team) throw notFound();
  if (options.mustBeManaged && described.Tags?.find((t) => t.Key === TAGS.managed)?.Value !== 'true') {
    throw problem(404, 'secret-not-onboarded', `secret "${secretId.slice(0, 256)}" is not onboarded: onboard it first (POST /v1/onboardings)`);
  }
  if (described.DeletedDate) throw problem(409, 'secret-deleted', 'the secret is scheduled for deletion: restore it first');
  return described;
}

import { RotationError } from '../../shared/errors/rotation-error.ts';
import { TAGS } from '../../shared/names.ts';
import { ownerOf } from '../../shared/ownership.ts';
import type { RotatorDeps, StepContext } from './deps.ts';
import { tryLogin } from './guards.ts';
import { parseSecret, type ParsedSecret } from './secret-value.ts';
import type { Session } from './types.ts';

const arnParts = (arn: string) => {
  const [, , , region, account] = arn.split(':');
  return { region, account };
};

/**
 * Opens a session with the admin credential that a secret's `masterarn` names. The rotator reads
 * values for every team, so it checks, before reading anything, that the admin secret is one its
 * owner offered for this use: in the same account and region, tagged `rcp:admin-credential=true`
 * and owned (`rcp:team`) by the team that owns the rotated secret. Anything else — another team's
 * secret, an untagged one, one that does not exist — gets the same answer, so a team learns nothing
 * about secrets that are not its own.
 */
export async function openAdminSession(ctx: StepContext, current: ParsedSecret, deps: RotatorDeps): Promise<Session> {
  const masterarn = current.credential.masterarn;
  if (!masterarn) throw new RotationError('InvalidSecret', 'this strategy needs a "masterarn" key naming the secret of an admin credential');
  const team = ownerOf(ctx.tags);
  if (!team) throw new RotationError('GuardRefused', `a secret whose "masterarn" names an admin credential must be tagged ${TAGS.team} with its owning team, like the admin secret`);
  const refused = () =>
    new RotationError(
      'GuardRefused',
      `the admin credential named by "masterarn" is not usable: it must be a secret in the same account and region, tagged ${TAGS.team}=${team} and ${TAGS.adminCredential}=true`,
    );
  const here = arnParts(ctx.arn);
  const there = arnParts(masterarn);
  if (here.account !== there.account || here.region !== there.region) throw refused();
  let value: string | undefined;
  try {
    const described = await ctx.store.describe(masterarn);
    const adminTag = described.Tags?.find((t) => t.Key === TAGS.adminCredential)?.Value;
    if (ownerOf(described.Tags) !== team || adminTag !== 'true' || described.DeletedDate) throw refused();
    value = await ctx.store.current(described.ARN!);
  } catch (err) {
    if (err instanceof RotationError) throw err;
    const name = (err as Error).name;
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'InvalidRequestException') throw refused();
    throw err;
  }
  const admin = parseSecret(value, 'admin (masterarn)', deps.pluginFor, current.credential.engine);
  if (admin.plugin !== current.plugin || admin.credential.host !== current.credential.host || admin.credential.port !== current.credential.port) {
    throw new RotationError('GuardRefused', 'the admin credential (masterarn) is for another host than this secret');
  }
  const login = await tryLogin(admin, deps);
  if ('error' in login) throw new RotationError(login.error.errorClass, `admin credential (masterarn): ${login.error.message}`);
  return login.session;
}

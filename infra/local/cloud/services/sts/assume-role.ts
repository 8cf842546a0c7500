import type { Authorizer } from '../../auth/authorizer.ts';
import { evaluate, principalMatches } from '../../auth/policy-evaluation.ts';
import { parseRoleArn, type Caller } from '../../auth/principals.ts';
import { AwsError } from '../../errors.ts';
import type { Scopes } from '../../scopes.ts';
import { IamRoles } from '../iam/roles.ts';
import { RoleSessions, type SessionRecord } from './sessions.ts';

/**
 * sts:AssumeRole's decision and its credentials: the role must exist in its account, its trust
 * policy must allow the caller (principal and conditions such as sts:ExternalId and
 * aws:PrincipalOrgID), and a role session calling must also be allowed sts:AssumeRole by its own
 * role's policies (unless, in the same account, the trust policy names it).
 */
export interface AssumeRoleRequest {
  caller: Caller;
  roleArn: string;
  sessionName: string;
  durationSeconds?: number;
  externalId?: string;
  sessionPolicy?: string;
  region: string;
}

const DEFAULT_SECONDS = 3600;
const MIN_SECONDS = 900;
const CHAINED_MAX_SECONDS = 3600;

export class RoleAssumer {
  constructor(
    private readonly scopes: Scopes,
    private readonly authorizer: Authorizer,
  ) {}

  async assume(request: AssumeRoleRequest): Promise<SessionRecord> {
    const { caller, roleArn, sessionName } = request;
    const refused = () =>
      new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    const parsed = parseRoleArn(roleArn);
    if (!parsed) throw new AwsError('ValidationError', `${roleArn} is invalid`, 400);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`, 400);
    }
    const roles = IamRoles.of(await this.scopes.accountWide(parsed.account));
    const role = roles.find(parsed.name);
    // A missing role is refused like a forbidden one: AssumeRole does not tell which.
    if (!role || role.arn !== roleArn) throw refused();

    const context = this.authorizer.context(caller, request.region, { 'sts:ExternalId': request.externalId, 'sts:RoleSessionName': sessionName });
    const evaluation = { action: 'sts:AssumeRole', resource: role.arn, caller, context };
    const trusts = roles.trustStatements(role);
    if (evaluate(trusts, evaluation, true) !== 'Allow') throw refused();
    if (caller.kind === 'assumed-role') {
      const identity = await this.authorizer.identityDecision(caller, 'sts:AssumeRole', role.arn, context);
      const namedExplicitly =
        caller.account === parsed.account &&
        trusts.some((s) => s.effect === 'Allow' && s.principal && s.principal !== '*' && principalMatches({ AWS: (s.principal.AWS ?? []).filter((p) => p.includes(':role/') || p.includes(':assumed-role/')) }, caller));
      if (identity === 'Deny' || (identity !== 'Allow' && !namedExplicitly)) throw refused();
    }

    const chained = caller.kind === 'assumed-role';
    const maximum = chained ? CHAINED_MAX_SECONDS : role.maxSessionDuration;
    const seconds = request.durationSeconds ?? DEFAULT_SECONDS;
    if (!Number.isInteger(seconds) || seconds < MIN_SECONDS) {
      throw new AwsError('ValidationError', `1 validation error detected: Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${MIN_SECONDS}`, 400);
    }
    if (seconds > maximum) {
      throw new AwsError(
        'ValidationError',
        chained
          ? `The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.`
          : `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        400,
      );
    }
    const sessions = RoleSessions.of(await this.scopes.cloud());
    const session = sessions.mint({
      expiresAt: Date.now() + seconds * 1000,
      account: parsed.account,
      roleArn: role.arn,
      roleName: role.name,
      roleId: role.id,
      sessionName,
      assumedByAccount: caller.account,
      assumedByArn: caller.arn,
      sessionPolicy: request.sessionPolicy,
    });
    await sessions.commit();
    return session;
  }
}

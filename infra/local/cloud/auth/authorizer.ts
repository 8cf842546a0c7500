import type { AuthorizedResource } from '../context.ts';
import { parsePolicy, type Statement } from './policy-document.ts';
import { ConditionContext, evaluate, type Decision } from './policy-evaluation.ts';
import { principalArn, type Caller } from './principals.ts';

/**
 * IAM's decision for one call (its policy evaluation logic, reduced to what this emulation has):
 *
 * - an explicit Deny in any applicable policy refuses;
 * - an account's root may do anything to its own account's resources;
 * - a role session may do what its role's inline policies (and its session policy) allow;
 * - within one account, an identity policy or the resource's policy may allow;
 * - across accounts, both the caller's identity policy and the resource's policy must allow;
 * - a service principal (Secrets Manager invoking a function) only through a resource policy.
 */
export interface AuthorizationRequest {
  caller: Caller;
  action: string;
  resources: readonly AuthorizedResource[];
  region: string;
  extraContext?: Record<string, string | string[] | undefined>;
}

export type AuthorizationResult = { allowed: true } | { allowed: false; message: string };

export interface IdentityPolicies {
  /** The inline policy statements of a role, or undefined when the role no longer exists. */
  rolePolicies(roleArn: string): Promise<readonly Statement[] | undefined>;
  /** aws:PrincipalOrgID of an account. */
  organizationOf(account: string): string | undefined;
}

const sessionPolicies = new Map<string, Statement[]>();
function sessionPolicy(text: string): Statement[] {
  let statements = sessionPolicies.get(text);
  if (!statements) {
    statements = parsePolicy(text);
    if (sessionPolicies.size > 1000) sessionPolicies.clear();
    sessionPolicies.set(text, statements);
  }
  return statements;
}

export class Authorizer {
  constructor(private readonly identities: IdentityPolicies) {}

  context(caller: Caller, region: string, extra: Record<string, string | string[] | undefined> = {}): ConditionContext {
    return new ConditionContext({
      'aws:PrincipalArn': caller.kind === 'service' ? undefined : principalArn(caller),
      'aws:PrincipalAccount': caller.kind === 'service' ? undefined : caller.account,
      'aws:PrincipalOrgID': caller.kind === 'service' ? undefined : this.identities.organizationOf(caller.account),
      'aws:PrincipalType': caller.kind === 'root' ? 'Account' : caller.kind === 'assumed-role' ? 'AssumedRole' : undefined,
      'aws:userid': caller.kind === 'service' ? undefined : caller.userId,
      'aws:RequestedRegion': region,
      'aws:SourceAccount': caller.kind === 'service' ? caller.account : undefined,
      'aws:SourceArn': caller.kind === 'service' ? caller.sourceArn : undefined,
      'aws:SecureTransport': 'false',
      ...extra,
    });
  }

  /** The identity side of the decision: what the caller's own policies say. */
  async identityDecision(caller: Caller, action: string, resource: string, context: ConditionContext): Promise<Decision> {
    if (caller.kind === 'root') return 'Allow';
    if (caller.kind === 'service') return 'NoMatch';
    const statements = await this.identities.rolePolicies(caller.roleArn);
    if (!statements) return 'NoMatch';
    const request = { action, resource, caller, context };
    const decision = evaluate(statements, request, false);
    if (decision !== 'Allow' || !caller.sessionPolicy) return decision;
    const limited = evaluate(sessionPolicy(caller.sessionPolicy), request, false);
    return limited === 'Allow' ? 'Allow' : limited === 'Deny' ? 'Deny' : 'NoMatch';
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    const { caller } = request;
    for (const resource of request.resources) {
      const action = resource.action ?? request.action;
      const context = this.context(caller, request.region, request.extraContext)
        .set('aws:ResourceAccount', resource.account)
        .tags(action.split(':')[0]!, resource.tags);
      const identity = await this.identityDecision(caller, action, resource.arn, context);
      const resourcePolicy = resource.policy ? evaluate(resource.policy, { action, resource: resource.arn, caller, context }, true) : 'NoMatch';
      const refuse = (why: string): AuthorizationResult => ({
        allowed: false,
        message: `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource.arn} ${why}`,
      });
      if (identity === 'Deny') return refuse('with an explicit deny in an identity-based policy');
      if (resource.identityOnly) {
        if (identity !== 'Allow') return refuse(`because no identity-based policy allows the ${action} action`);
        continue;
      }
      if (resourcePolicy === 'Deny') return refuse('with an explicit deny in a resource-based policy');
      const sameAccount = caller.kind !== 'service' && caller.account === resource.account;
      if (sameAccount) {
        if (identity !== 'Allow' && resourcePolicy !== 'Allow') return refuse(`because no identity-based policy allows the ${action} action`);
      } else {
        if (resourcePolicy !== 'Allow') return refuse(`because no resource-based policy allows the ${action} action`);
        if (caller.kind !== 'service' && identity !== 'Allow') return refuse(`because no identity-based policy allows the ${action} action`);
      }
    }
    return { allowed: true };
  }
}

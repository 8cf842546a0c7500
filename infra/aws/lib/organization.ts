import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { MEMBER_ROLES } from '../../../shared/names.ts';
import { acknowledgeWildcard } from './nag.ts';

/**
 * The organisation the central account serves. Without it the control plane acts in its own
 * account only; with it, the central bus takes the member accounts' events and the central roles
 * may assume the member accounts' roles (deployed by the RcpMemberRoles stack).
 */
export interface OrganizationSettings {
  /** `o-…`: every account of the organisation may send events to the central bus, and the central roles may assume member roles in any of them (`aws:ResourceOrgID`). */
  readonly organizationId?: string;
  /** Member accounts (12 digits) named one by one, when there is no organisation or some members are outside it. */
  readonly memberAccountIds?: string[];
  /**
   * What the central roles send as `sts:ExternalId`; the member stacks' ExternalId parameter.
   * Not a secret (AWS documents it as an identifier); it guards against confused deputies.
   */
  readonly externalId?: string;
  /** The regions whose secrets the control plane looks at (its team secret lists, compliance); by default its own. */
  readonly regions?: string[];
}

/** What a central function that looks across the organisation needs in its environment. */
export function organizationEnvironment(org: OrganizationSettings | undefined): Record<string, string> {
  return {
    ...(org?.memberAccountIds?.length ? { RCP_MEMBER_ACCOUNT_IDS: org.memberAccountIds.join(',') } : {}),
    ...(org?.regions?.length ? { RCP_REGIONS: org.regions.join(',') } : {}),
    ...(org?.organizationId && !org.memberAccountIds?.length ? { RCP_ORGANIZATION_DISCOVERY: 'true' } : {}),
  };
}

export const hasMembers = (org: OrganizationSettings | undefined): org is OrganizationSettings =>
  Boolean(org && (org.organizationId || org.memberAccountIds?.length));

/**
 * Lets a central function assume one of the member roles: in every listed member account, and in
 * any account of the organisation. The member role's trust policy decides the rest (it names this
 * function's role and asks for the external id or the organisation).
 */
export function grantAssumeMemberRole(fn: LambdaFunction, role: keyof typeof MEMBER_ROLES, org: OrganizationSettings | undefined): void {
  if (!hasMembers(org)) return;
  const { partition } = Stack.of(fn);
  if (org.memberAccountIds?.length) {
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: `AssumeListedMember${capitalised(role)}Roles`,
        actions: ['sts:AssumeRole'],
        resources: org.memberAccountIds.map((account) => `arn:${partition}:iam::${account}:role/${MEMBER_ROLES[role]}`),
      }),
    );
  }
  if (org.organizationId) {
    const resource = `arn:${partition}:iam::*:role/${MEMBER_ROLES[role]}`;
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: `AssumeOrganizationMember${capitalised(role)}Roles`,
        actions: ['sts:AssumeRole'],
        resources: [resource],
        conditions: { StringEquals: { 'aws:ResourceOrgID': org.organizationId } },
      }),
    );
    acknowledgeWildcard(
      fn.role!.node.tryFindChild('DefaultPolicy')!,
      resource,
      `Any member account of organisation ${org.organizationId} (aws:ResourceOrgID), only the role of this fixed name, which trusts this role by name.`,
    );
  }
  if (org.externalId) fn.addEnvironment('RCP_MEMBER_EXTERNAL_ID', org.externalId);
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

import { z } from 'zod';
import type { Node } from 'constructs';
import type { OrganizationSettings } from './organization.ts';
import type { RotatorPlacement } from './rotator-stack.ts';
import { policySchema } from '../../../services/compliance/policy.ts';

/**
 * The settings a SecretRotationControlPlane is built from, checked before any construct exists so
 * a typo fails the synth with the setting's name instead of a broken template. The CDK app reads
 * them from context values (`-c rcp:placements='[…]'`), where JSON arrives as a string.
 */
const placement = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,19}$/, 'a letter, then letters and digits, 20 characters at most (it names the rotator and its role)'),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-…)'),
    availabilityZones: z.array(z.string().min(1)).min(1),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id (subnet-…)')).min(1),
    securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-…)')).min(1),
    createSecretsManagerEndpoint: z.boolean().optional(),
    routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'a route table id (rtb-…)')).optional(),
  })
  .strict();

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id (12 digits)');

const organization = z
  .object({
    organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id (o-…)').optional(),
    memberAccountIds: z.array(accountId).optional(),
    // IAM's constraint on sts:ExternalId.
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2 to 1224 characters of letters, digits and +=,.@:/-').optional(),
    regions: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'a region name (like us-east-1)')).optional(),
  })
  .strict();

const PRINCIPAL_PATTERN = /^arn:[^:]+:(iam|sts)::/;
const teamPrincipals = z
  .record(z.string(), z.string().regex(/^[\w.:/=+@-]{1,128}$/, 'a team name: 1 to 128 letters, digits and _.:/=+@-'))
  .superRefine((principals, ctx) => {
    // zod words a bad record key generically; say what the key should be.
    for (const pattern of Object.keys(principals)) {
      if (!PRINCIPAL_PATTERN.test(pattern)) ctx.addIssue({ code: 'custom', path: [pattern], message: 'an IAM or STS ARN pattern (arn:aws:iam::… or arn:aws:sts::…, * as a wildcard)' });
    }
  });

const auditorPrincipals = z.array(z.string().regex(PRINCIPAL_PATTERN, 'an IAM or STS ARN pattern (arn:aws:iam::… or arn:aws:sts::…, * as a wildcard)'));
const compliancePolicy = z.unknown().superRefine((value, ctx) => {
  const checked = policySchema.safeParse(value);
  if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path as PropertyKey[] as (string | number)[], message: issue.message });
});

const settingsSchema = z.object({
  placements: z.array(placement).optional(),
  teamPrincipals: teamPrincipals.optional(),
  organization: organization.optional(),
  auditorPrincipals: auditorPrincipals.optional(),
  compliancePolicy: compliancePolicy.optional(),
});

export interface StageSettings {
  placements?: RotatorPlacement[];
  teamPrincipals?: Record<string, string>;
  organization?: OrganizationSettings;
  auditorPrincipals?: string[];
  compliancePolicy?: unknown;
}

/** The settings, or an error that names every wrong one and says what it should be. */
export function checkedSettings(settings: StageSettings, where: (path: PropertyKey[]) => string = (path) => path.join('.')): StageSettings {
  const result = settingsSchema.safeParse(settings);
  const problems = result.success ? [] : result.error.issues.map((issue) => `  ${where(issue.path) || 'settings'}: ${issue.message}`);
  const names = (settings.placements ?? []).map((p) => String(p?.name).toLowerCase());
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) problems.push(`  ${where(['placements'])}: two placements are named "${duplicate}"`);
  if (problems.length) throw new Error(`SecretRotationControlPlane: invalid settings\n${problems.join('\n')}`);
  return settings;
}

/** Context values that map to settings: JSON given on the command line arrives as a string. */
export const CONTEXT = {
  placements: 'rcp:placements',
  teamPrincipals: 'rcp:teamPrincipals',
  auditorPrincipals: 'rcp:auditorPrincipals',
  compliancePolicy: 'rcp:compliancePolicy',
  organizationId: 'rcp:organizationId',
  memberAccountIds: 'rcp:memberAccountIds',
  externalId: 'rcp:externalId',
  regions: 'rcp:regions',
} as const;

function contextJson(node: Node, key: string): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`context value ${key} is not valid JSON (${(err as Error).message}): ${value.slice(0, 200)}`, { cause: err });
  }
}

/** The settings the context values give, checked. */
export function settingsFromContext(node: Node): StageSettings {
  const memberAccounts = node.tryGetContext(CONTEXT.memberAccountIds) as unknown;
  const organization = {
    organizationId: node.tryGetContext(CONTEXT.organizationId) as string | undefined,
    // A list in JSON, or comma-separated account ids.
    memberAccountIds:
      typeof memberAccounts === 'string' && !memberAccounts.trim().startsWith('[')
        ? memberAccounts.split(',').map((a) => a.trim()).filter(Boolean)
        : (contextJson(node, CONTEXT.memberAccountIds) as string[] | undefined),
    externalId: node.tryGetContext(CONTEXT.externalId) as string | undefined,
    regions: ((value) => (typeof value === 'string' && !value.trim().startsWith('[') ? value.split(',').map((r) => r.trim()).filter(Boolean) : (contextJson(node, CONTEXT.regions) as string[] | undefined)))(node.tryGetContext(CONTEXT.regions) as unknown),
  };
  const given = Object.fromEntries(Object.entries(organization).filter(([, v]) => v !== undefined));
  return checkedSettings(
    {
      placements: contextJson(node, CONTEXT.placements) as RotatorPlacement[] | undefined,
      teamPrincipals: contextJson(node, CONTEXT.teamPrincipals) as Record<string, string> | undefined,
      auditorPrincipals: contextJson(node, CONTEXT.auditorPrincipals) as string[] | undefined,
      compliancePolicy: contextJson(node, CONTEXT.compliancePolicy),
      organization: Object.keys(given).length ? given : undefined,
    },
    ([first, second, ...rest]) => {
      // Name the context value the user wrote, not the property it maps to.
      const key = first === 'organization' ? CONTEXT[second as keyof typeof CONTEXT] : CONTEXT[first as keyof typeof CONTEXT];
      return [`context ${key}`, ...(first === 'organization' ? rest : [second, ...rest]).filter((p) => p !== undefined)].map(String).join('.');
    },
  );
}

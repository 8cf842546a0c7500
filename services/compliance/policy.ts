import * as z from 'zod/mini';

/**
 * The compliance policy: each rule's parameters (named as AWS Config names them) with organisation
 * defaults, overridden per account and then per team (the most specific wins). The stacks set it
 * from the CDK context value `rcp:compliancePolicy`; the embedded default from RCP_COMPLIANCE_POLICY.
 */
export interface RuleParameters {
  /** SecretsManager.1: rotation at least every N days (Security Hub's default: 90). */
  maximumAllowedRotationFrequency: number;
  /** SecretsManager.1, in hours: when set, it wins over the days. */
  maximumAllowedRotationFrequencyInHours?: number;
  /** SecretsManager.3 (default 90). */
  unusedForDays: number;
  /** SecretsManager.4 (default 90). */
  maxDaysSinceRotation: number;
  /** SecretsManager.5: when empty, the secret must carry at least one tag that is not a system (`aws:`) tag. */
  requiredTagKeys: string[];
}

export const DEFAULT_PARAMETERS: RuleParameters = {
  maximumAllowedRotationFrequency: 90,
  unusedForDays: 90,
  maxDaysSinceRotation: 90,
  requiredTagKeys: [],
};

const days = () => z.number().check(z.int(), z.minimum(1), z.maximum(1000));
const parametersSchema = z.strictObject({
  maximumAllowedRotationFrequency: z.optional(days()),
  maximumAllowedRotationFrequencyInHours: z.optional(z.number().check(z.int(), z.minimum(4), z.maximum(24_000))),
  unusedForDays: z.optional(days()),
  maxDaysSinceRotation: z.optional(days()),
  requiredTagKeys: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.maxLength(50))),
});
export const policySchema = z.strictObject({
  defaults: z.optional(parametersSchema),
  accounts: z.optional(z.record(z.string().check(z.regex(/^\d{12}$/)), parametersSchema)),
  teams: z.optional(z.record(z.string().check(z.minLength(1)), parametersSchema)),
});
export type CompliancePolicy = z.infer<typeof policySchema>;

/** The policy from its JSON text (empty: the defaults); a malformed one names the field to fix. */
export function parsePolicy(text: string | undefined): CompliancePolicy {
  if (!text) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the compliance policy (RCP_COMPLIANCE_POLICY, context rcp:compliancePolicy) is not valid JSON');
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`the compliance policy is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The parameters that apply to one secret: the org defaults, then its account's, then its team's. */
export function parametersFor(policy: CompliancePolicy, where: { account: string; team?: string }): RuleParameters {
  const layers = [policy.defaults, policy.accounts?.[where.account], where.team ? policy.teams?.[where.team] : undefined];
  const out: RuleParameters = { ...DEFAULT_PARAMETERS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

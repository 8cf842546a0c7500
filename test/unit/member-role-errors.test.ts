import { describe, expect, it } from 'vitest';
import { isRoleRefused } from '../../shared/aws/errors.ts';
import { fromAws } from '../../services/onboarding/errors.ts';

const refusal = Object.assign(new Error('User: arn:aws:sts::000000000000:assumed-role/rcp-central-onboarding-Validate-us-east-1/s is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/rcp-member-onboarding'), { name: 'AccessDenied' });

describe("a member account's role the control plane may not assume", () => {
  it("is told apart from Secrets Manager's own AccessDeniedException", () => {
    expect(isRoleRefused(refusal)).toBe(true);
    expect(isRoleRefused(Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }))).toBe(false);
    expect(isRoleRefused(undefined)).toBe(false);
  });

  it('ends an onboarding step as MemberRoleRefused, naming the role, its account and what to deploy there', () => {
    const error = fromAws(refusal, 'Validate');
    expect(error.name).toBe('MemberRoleRefused');
    expect(error.message).toContain('arn:aws:iam::222222222222:role/rcp-member-onboarding');
    expect(error.message).toContain('RcpMemberRoles');
  });
});

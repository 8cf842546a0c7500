import { describe, expect, it } from 'vitest';
import { iamCaller } from '../../services/api/auth.ts';
import { ProblemError } from '../../services/api/problem.ts';

// On AWS this is the only authentication: API Gateway verified the signature, this maps who signed to a team.
const principals = {
  'arn:aws:sts::111111111111:assumed-role/payments-deployer/*': 'payments',
  'arn:aws:iam::111111111111:role/orders-*': 'orders',
  'arn:aws:sts::111111111111:assumed-role/*': 'catch-all',
};

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ProblemError).problem.status;
  }
  return 200;
};

describe('iamCaller', () => {
  it('maps an ARN to the team of the first pattern that matches, with * matching anything', () => {
    expect(iamCaller(principals, 'arn:aws:sts::111111111111:assumed-role/payments-deployer/ci-run-42')).toEqual({
      team: 'payments',
      actor: 'arn:aws:sts::111111111111:assumed-role/payments-deployer/ci-run-42',
    });
    expect(iamCaller(principals, 'arn:aws:iam::111111111111:role/orders-api').team).toBe('orders');
    expect(iamCaller(principals, 'arn:aws:sts::111111111111:assumed-role/other/x').team).toBe('catch-all');
  });

  it('takes pattern characters literally except *: a dot or a bracket in an ARN is not a wildcard', () => {
    expect(status(() => iamCaller({ 'arn:aws:iam::1.1:role/a': 't' }, 'arn:aws:iam::101:role/a'))).toBe(403);
    expect(status(() => iamCaller({ 'arn:aws:iam::111111111111:role/[ab]': 't' }, 'arn:aws:iam::111111111111:role/a'))).toBe(403);
  });

  it('answers 401 without an identity and 403 naming the setting for an identity no team claims', () => {
    expect(status(() => iamCaller(principals, undefined))).toBe(401);
    try {
      iamCaller(principals, 'arn:aws:iam::222222222222:user/mallory');
    } catch (err) {
      expect(err).toBeInstanceOf(ProblemError);
      expect((err as ProblemError).problem).toMatchObject({ status: 403, detail: expect.stringContaining('rcp:teamPrincipals') });
    }
  });
});

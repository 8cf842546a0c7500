import { describe, expect, it } from 'vitest';
import { cognitoCaller } from '../../services/api/auth.ts';
import { ProblemError } from '../../services/api/problem.ts';

// The console on AWS: API Gateway's Cognito authoriser verified the token; the pool's groups say the team.
const refusal = (claims: Record<string, unknown>) => {
  try {
    cognitoCaller(claims);
  } catch (err) {
    return (err as ProblemError).problem;
  }
  throw new Error('expected a refusal');
};

describe('cognitoCaller', () => {
  it('maps the team-<name> group to the team, in every form API Gateway passes the groups', () => {
    expect(cognitoCaller({ 'cognito:username': 'ana', 'cognito:groups': 'team-payments' })).toEqual({ team: 'payments', actor: 'cognito:ana' });
    expect(cognitoCaller({ 'cognito:username': 'ana', 'cognito:groups': '[team-payments]' }).team).toBe('payments');
    expect(cognitoCaller({ 'cognito:username': 'ana', 'cognito:groups': ['team-payments'] }).team).toBe('payments');
    expect(cognitoCaller({ 'cognito:username': 'ana', 'cognito:groups': 'other,team-orders' }).team).toBe('orders');
  });

  it('the auditors group reads the organisation, with or without a team', () => {
    expect(cognitoCaller({ 'cognito:username': 'sec', 'cognito:groups': '[auditors team-security]' })).toEqual({ team: 'security', actor: 'cognito:sec', auditor: true });
    expect(cognitoCaller({ 'cognito:username': 'sec', 'cognito:groups': 'auditors' })).toEqual({ team: 'auditors', actor: 'cognito:sec', auditor: true });
  });

  it('refuses a user of no team, or of two, saying which group to fix', () => {
    expect(refusal({ 'cognito:username': 'bob' })).toMatchObject({ status: 403, detail: expect.stringContaining('team-<team>') });
    expect(refusal({ 'cognito:username': 'bob', 'cognito:groups': 'team-a,team-b' })).toMatchObject({ status: 403, detail: expect.stringContaining('a, b') });
    expect(refusal({ 'cognito:username': 'bob', 'cognito:groups': 'team-Not_Valid' }).status).toBe(403);
  });
});

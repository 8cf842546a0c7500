import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../services/onboarding/first-rotation.ts';

// The onboarding decides how its first rotation ended from that rotation's own outcome, not from
// the labels of one instant: a second rotation may already have moved it on.
describe('the first rotation verdict', () => {
  it('is success when a later rotation already made the first one AWSPREVIOUS, with or without the rotator having reported', () => {
    expect(verdictOf(undefined, ['AWSPREVIOUS'], 'single-user')).toEqual({ status: 'succeeded' });
    expect(verdictOf({ outcome: 'succeeded', step: 'finishSecret' }, [], 'single-user')).toEqual({ status: 'succeeded' });
    expect(verdictOf(undefined, ['AWSCURRENT'], 'alternating-users')).toEqual({ status: 'succeeded' });
  });

  it('waits while the version is pending and nothing is decided', () => {
    expect(verdictOf(undefined, ['AWSPENDING'], 'single-user')).toEqual({ status: 'pending' });
  });

  it('fails at once with the rotator reason when the change never happened, or for a strategy that keeps the old login', () => {
    const early = verdictOf({ outcome: 'failed', step: 'createSecret', errorClass: 'AuthenticationFailed', reason: 'password authentication failed' }, ['AWSPENDING'], 'single-user');
    expect(early).toEqual({ status: 'failed', reason: 'the first rotation failed at createSecret: AuthenticationFailed: password authentication failed' });
    expect(verdictOf({ outcome: 'failed', step: 'testSecret', errorClass: 'AuthenticationFailed', reason: 'x' }, ['AWSPENDING'], 'alternating-users').status).toBe('failed');
  });

  it("keeps waiting after a single user's failure past setSecret: the retries bring the password back in step", () => {
    expect(verdictOf({ outcome: 'failed', step: 'testSecret', errorClass: 'AuthenticationFailed', reason: 'x' }, ['AWSPENDING'], 'single-user')).toEqual({ status: 'pending' });
  });

  it('says the rotation was abandoned when its version lost AWSPENDING without ever becoming current', () => {
    expect(verdictOf(undefined, [], 'single-user')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/abandoned/) });
  });
});

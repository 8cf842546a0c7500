import { describe, expect, it } from 'vitest';
import { RotationError } from '../../shared/errors/rotation-error.ts';
import { newPassword } from '../../services/rotator/password.ts';
import { WritePacer } from '../../services/rotator/write-pacer.ts';

/** A clock that only moves when someone sleeps: the pacer's turns can be read off exactly. */
function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('the rotator write pacer', () => {
  it('spaces writes of one account-region at the quota', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(50, clock);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) await pacer.write(clock.now() + 60_000, async () => started.push(clock.now()));
    expect(started.map((t) => t - started[0]!)).toEqual([0, 20, 40, 60, 80]);
  });

  it('writes again after a ThrottlingException, and passes every other error on at once', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(50, clock);
    let calls = 0;
    const result = await pacer.write(clock.now() + 60_000, async () => {
      calls += 1;
      if (calls < 4) throw throttled();
      return 'written';
    });
    expect(result).toBe('written');
    expect(calls).toBe(4);
    await expect(pacer.write(clock.now() + 60_000, async () => Promise.reject(Object.assign(new Error('no'), { name: 'ResourceNotFoundException' })))).rejects.toThrow('no');
  });

  it('gives up with a named cause only when the step would run out of time', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(50, clock);
    const error = await pacer.write(clock.now() + 1000, async () => Promise.reject(throttled())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).message).toMatch(/ThrottlingException/);
    expect(clock.now()).toBeLessThanOrEqual(1_000_000 + 1000);
    // a turn that would come after the deadline is refused before anything is sent
    const late = new WritePacer(1, clock);
    await late.turn(clock.now() + 10_000);
    await expect(late.turn(clock.now() + 10)).rejects.toThrow(/write quota/);
  });
});

describe('new passwords', () => {
  it('follow the policy: length, exclusions, one of each class', () => {
    const policy = { length: 32, excludeCharacters: `/@"'\\:?#[]%` };
    for (let i = 0; i < 200; i++) {
      const password = newPassword(policy);
      expect(password).toHaveLength(32);
      for (const c of policy.excludeCharacters) expect(password).not.toContain(c);
      expect(password).not.toContain(' ');
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^a-zA-Z0-9]/);
    }
    expect(new Set(Array.from({ length: 100 }, () => newPassword(policy))).size).toBe(100);
  });

  it('refuses a policy that leaves nothing to draw from', () => {
    expect(() => newPassword({ length: 2, excludeCharacters: '' })).toThrow(/no characters/);
  });
});

import { describe, expect, it } from 'vitest';
import type { OnboardingDeps } from '../../services/onboarding/deps.ts';
import type { OnboardingState } from '../../services/onboarding/state.ts';
import type { Strategy } from '../../shared/rotation/vocabulary.ts';
import { compensate, offboardSecret, RotationMidFlight } from '../../services/onboarding/undo.ts';

// Compensation decides from the secret as it is now; the AWS calls are recorded, not made.
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:s-abcdef';

function world(described: { tags: Record<string, string>; rotationEnabled: boolean; stages: Record<string, string[]> }, lastFailure?: { token: string; step: string }) {
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  const released: string[] = [];
  const sm = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ command: command.constructor.name, input: command.input });
        if (command.constructor.name === 'DescribeSecretCommand') {
          return { Tags: Object.entries(described.tags).map(([Key, Value]) => ({ Key, Value })), RotationEnabled: described.rotationEnabled, VersionIdsToStages: described.stages };
        }
        return {};
      },
    };
  const deps = {
    smFor: () => sm,
    rotationStatus: { outcomeOf: async (_arn: string, token: string) => (lastFailure?.token === token ? { ...lastFailure, outcome: 'failed', at: 'now' } : undefined) },
    records: { releaseSecret: async (arn: string) => void released.push(arn), recordStep: async () => undefined },
    now: () => 0,
  } as unknown as OnboardingDeps;
  return { deps, sent, released };
}

const state = (strategy: Strategy, rotationEnabledBefore = false): OnboardingState => ({
  onboardingId: 'onb-1',
  actor: 't',
  request: { secretId: ARN, schedule: 'rate(7 days)', team: 'a' },
  validate: { secretArn: ARN, rules: {}, claimed: true, tagKeysBefore: ['rcp:team'], rotationEnabledBefore },
  preflight: { engine: 'postgres', strategy, username: 'u', transport: 'plaintext' },
  error: { Error: 'FirstRotationFailed' },
});

const onboarded = { tags: { 'rcp:team': 'a', 'rcp:managed': 'true', 'rcp:onboarding-id': 'onb-1', 'rcp:rotation-strategy': 'single-user' }, rotationEnabled: true, stages: { v1: ['AWSCURRENT'], t2: ['AWSPENDING'] } };
const commands = (sent: Array<{ command: string }>) => sent.map((s) => s.command).filter((c) => c !== 'DescribeSecretCommand');

describe('compensation', () => {
  it('cancels a rotation it enabled, clears its pending label and removes only the tags it added', async () => {
    const { deps, sent, released } = world(onboarded, { token: 't2', step: 'setSecret' });
    const result = await compensate(state('single-user'), deps);
    expect(commands(sent)).toEqual(['CancelRotateSecretCommand', 'UpdateSecretVersionStageCommand', 'UntagResourceCommand']);
    expect(sent.find((s) => s.command === 'UntagResourceCommand')!.input.TagKeys).toEqual(['rcp:managed', 'rcp:rotation-strategy', 'rcp:onboarding-id']);
    expect(released).toEqual([ARN]);
    expect(result.notUndone).toEqual([]);
  });

  it('leaves a single-user first rotation that failed after setSecret running, so the credential is not stranded', async () => {
    for (const failure of [{ token: 't2', step: 'testSecret' }, undefined]) {
      const { deps, sent } = world(onboarded, failure);
      const result = await compensate(state('single-user'), deps);
      expect(commands(sent)).toEqual(['UntagResourceCommand']);
      // the rotator must still be allowed to finish it: rcp:managed stays
      expect(sent.find((s) => s.command === 'UntagResourceCommand')!.input.TagKeys).toEqual(['rcp:rotation-strategy', 'rcp:onboarding-id']);
      expect(result.notUndone[0]).toMatch(/rotation left enabled/);
    }
  });

  it('cancels any failed first rotation when the old credential still works (alternating users)', async () => {
    const { deps, sent } = world(onboarded, { token: 't2', step: 'testSecret' });
    await compensate(state('alternating-users'), deps);
    expect(commands(sent)).toContain('CancelRotateSecretCommand');
  });

  it('releases the lock the API took when the onboarding stopped before Validate, touching nothing else', async () => {
    const { deps, sent, released } = world(onboarded);
    const result = await compensate({ onboardingId: 'onb-1', request: { secretId: ARN } }, deps);
    expect(sent).toEqual([]);
    expect(released).toEqual([ARN]);
    expect(result).toEqual({ undone: ['secret lock released'], notUndone: [] });
  });

  it('leaves alone a rotation that was on before, and a secret another onboarding marked', async () => {
    const before = world(onboarded, { token: 't2', step: 'setSecret' });
    await compensate(state('single-user', true), before.deps);
    expect(commands(before.sent)).not.toContain('CancelRotateSecretCommand');
    const other = world({ ...onboarded, tags: { ...onboarded.tags, 'rcp:onboarding-id': 'onb-2' } }, { token: 't2', step: 'setSecret' });
    await compensate(state('single-user'), other.deps);
    expect(commands(other.sent)).not.toContain('CancelRotateSecretCommand');
    expect(commands(other.sent)).not.toContain('UntagResourceCommand');
  });

  it('offboards the same way, but refuses while a single-user rotation may already have changed the password', async () => {
    const midFlight = world(onboarded, { token: 't2', step: 'testSecret' });
    await expect(offboardSecret(state('single-user', true), midFlight.deps)).rejects.toBeInstanceOf(RotationMidFlight);
    expect(commands(midFlight.sent)).toEqual([]);
    // after a failure before the change, offboarding cancels even a rotation that was on before onboarding
    const safe = world(onboarded, { token: 't2', step: 'createSecret' });
    await offboardSecret(state('single-user', true), safe.deps);
    expect(commands(safe.sent)).toEqual(['CancelRotateSecretCommand', 'UpdateSecretVersionStageCommand', 'UntagResourceCommand']);
  });
});

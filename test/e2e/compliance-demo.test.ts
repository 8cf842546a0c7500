import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../services/compliance/rules.ts';
import { PROJECT_ROOT } from '../support/cloud-process.ts';
import { eventually } from '../support/eventually.ts';
import { startLocalStack, type LocalStack } from '../support/local-stack.ts';

// `npm start` as a user runs it, with the compliance demo seeded: every rule fails somewhere, and
// onboarding a secret from its finding makes it comply after its first rotation.
const TOKENS = { team: 'demo-compliance-team-0001', auditor: 'demo-compliance-audit-0002' };
const exec = promisify(execFile);
let stack: LocalStack;
const rotctl = (token: string, ...args: string[]) => exec(process.execPath, [join(PROJECT_ROOT, 'bin/rotctl.js'), ...args], { env: { ...process.env, RCP_API_URL: stack.apiUrl, RCP_TOKEN: token } });

interface FindingView {
  findingId: string;
  name: string;
  rule: string;
  state: string;
}

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'compliance-demo', env: { RCP_DEMO_COMPLIANCE: '1', RCP_TOKENS: `team-a:${TOKENS.team},auditor:${TOKENS.auditor}`, RCP_AUDITOR_TEAMS: 'auditor' } });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the compliance demo of npm start', () => {
  it('prints the seeded secrets and the auditor token, and every rule fails on at least one secret', async () => {
    expect(stack.output()).toContain('compliance demo: secrets that fail a rule on purpose');
    expect(stack.output()).toMatch(new RegExp(`auditor "auditor" .*token ${TOKENS.auditor}`));
    const failing = await eventually(
      'every rule to fail somewhere',
      async () => {
        const { items } = JSON.parse((await rotctl(TOKENS.auditor, 'compliance', 'findings', '--state', 'NON_COMPLIANT', '--output', 'json')).stdout) as { items: FindingView[] };
        const rules = new Set(items.map((f) => f.rule));
        return RULE_IDS.every((r) => rules.has(r)) ? items : undefined;
      },
      60_000,
      500,
    );
    expect(failing.find((f) => f.rule === 'rotated-by-other')?.name).toBe('compliance/legacy-rotation');
    expect(failing.find((f) => f.rule === 'onboarded-rotation-off')?.name).toBe('compliance/rotation-turned-off');
    expect(failing.find((f) => f.rule === 'owner-tag')?.name).toBe('compliance/no-owner');
  });

  it('onboarding a demo secret from its finding turns it compliant after its first rotation', async () => {
    const { items } = JSON.parse((await rotctl(TOKENS.team, 'compliance', 'findings', '--rule', 'rotation-enabled', '--state', 'NON_COMPLIANT', '--output', 'json')).stdout) as { items: FindingView[] };
    const demo = items.find((f) => f.name === 'demo/postgres')!;
    const { stdout } = await rotctl(TOKENS.team, 'onboard', '--from-finding', demo.findingId, '--schedule', 'rotate every 30 days');
    expect(stdout).toContain('onboarded:');
    const findings = await eventually(
      'demo/postgres to comply with every rule',
      async () => {
        const view = JSON.parse((await rotctl(TOKENS.team, '--json', 'compliance', 'secret', 'demo/postgres')).stdout) as { findings: FindingView[] };
        return view.findings.every((f) => f.state !== 'NON_COMPLIANT') ? view.findings : undefined;
      },
      30_000,
      500,
    );
    expect(findings.find((f) => f.rule === 'rotation-enabled')?.state).toBe('COMPLIANT');
  });
});

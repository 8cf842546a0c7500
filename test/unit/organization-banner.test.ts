import { describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATION, organizationBanner } from '../../infra/local/demo-organization.ts';

describe("npm start's organisation banner", () => {
  const lines = organizationBanner('http://127.0.0.1:4566');
  const accounts = [DEMO_ORGANIZATION.central, ...DEMO_ORGANIZATION.members];

  it('names every account with its role and the regions it serves', () => {
    expect(lines[0]).toContain(DEMO_ORGANIZATION.id);
    for (const region of DEMO_ORGANIZATION.regions) expect(lines[0]).toContain(region);
    const row = (id: string) => lines.find((l) => l.trimStart().startsWith(id));
    expect(row(DEMO_ORGANIZATION.central.id)).toMatch(/platform\s+central/);
    for (const m of DEMO_ORGANIZATION.members) expect(row(m.id)).toMatch(new RegExp(`${m.name}\\s+member`));
  });

  it('gives each account the keys that act in it, for the aws CLI, boto3 and the JS SDK', () => {
    for (const a of accounts) {
      const keys = lines.find((l) => l.includes(`AWS_ACCESS_KEY_ID=${a.id} `));
      expect(keys, a.name).toMatch(new RegExp(`^\\s+${a.name}\\s+export AWS_ACCESS_KEY_ID=${a.id} AWS_SECRET_ACCESS_KEY=\\S+ AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1$`));
    }
  });
});

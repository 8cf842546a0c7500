import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serviceTypeValues, strategyValues } from '../../shared/contract/types.ts';
import { STRATEGIES } from '../../shared/rotation/vocabulary.ts';
import { PLUGINS } from '../../services/rotator/plugins/registry.ts';

// A new service type is one plugin folder and one registry line: everything that lists service
// types or strategies must follow the registry, or this fails and says where.
const engines = PLUGINS.flatMap((p) => [...p.engines]);

describe('lists that follow the plugin registry', () => {
  it("the REST contract's serviceType enum is every engine the registry serves", () => {
    expect([...serviceTypeValues]).toEqual(engines);
  });

  it("the contract's strategies are the rotator's, and every plugin's strategies are among them", () => {
    expect([...strategyValues]).toEqual([...STRATEGIES]);
    for (const plugin of PLUGINS) for (const strategy of plugin.strategies) expect(STRATEGIES, plugin.name).toContain(strategy);
  });

  it("the README's service type table has a row for every plugin, naming its engines and strategies", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    for (const plugin of PLUGINS) {
      const row = rows.find((r) => r.startsWith(`| \`${plugin.engines[0]}\``));
      expect(row, `README row for ${plugin.name}`).toBeDefined();
      for (const engine of plugin.engines) expect(row, plugin.name).toContain(`\`${engine}\``);
      for (const strategy of plugin.strategies) expect(row, plugin.name).toContain(strategy);
    }
  });
});

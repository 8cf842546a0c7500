import type { Command } from 'commander';
import { ok } from '../api-client.ts';
import { api, print, run, wantsJson } from '../cli.ts';

export function secretCommands(program: Command): void {
  program
    .command('rotate <secretId>')
  .description('rotate an onboarded secret now')
  .action((secretId: string) =>
    run(async () => {
      const started = await ok(api().POST('/v1/secrets/{secretId}/rotations', { params: { path: { secretId } } }));
      if (wantsJson(program)) return print(started);
      console.log(`rotation started: version ${started.versionId} of ${started.secretArn}`);
      console.log(`follow it with: rotctl rotation ${secretId}`);
    }),
  );

  program
    .command('rotation <secretId>')
  .description("a secret's rotation: enabled, rules, last and next rotation, last failure")
  .action((secretId: string) =>
    run(async () => {
      const state = await ok(api().GET('/v1/secrets/{secretId}/rotation', { params: { path: { secretId } } }));
      if (wantsJson(program)) return print(state);
      const rules = state.rules ? (state.rules.ScheduleExpression ?? `every ${state.rules.AutomaticallyAfterDays} days`) + (state.rules.Duration ? `, window ${state.rules.Duration}` : '') : 'none';
      console.log(`${state.secretArn}`);
      console.log(`  rotation:      ${state.enabled ? 'enabled' : 'off'} (${rules})`);
      console.log(`  last rotated:  ${state.lastRotatedAt ?? 'never'}`);
      console.log(`  next by:       ${state.nextRotationBy ?? '-'}`);
      if (state.lastFailure) console.log(`  last failure:  ${state.lastFailure.at} at ${state.lastFailure.step}: ${state.lastFailure.errorClass}: ${state.lastFailure.reason}`);
    }),
  );

  program
    .command('service-types')
  .description('the service types the fleet rotator serves')
  .action(() =>
    run(async () => {
      const { items } = await ok(api().GET('/v1/service-types'));
      if (wantsJson(program)) return print({ items });
      for (const t of items) console.log(`${t.name.padEnd(9)} engines: ${t.engines.join(', ')}; keys: ${t.requiredKeys.join(', ')}; strategies: ${t.strategies.join(', ')}`);
    }),
  );

}

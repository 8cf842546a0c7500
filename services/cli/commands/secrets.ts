import type { Command } from 'commander';
import { ok } from '../api-client.ts';
import type { AuditEventView } from '../../../shared/contract/types.ts';
import { api, positiveInt, print, run, wantsJson } from '../cli.ts';

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
    .command('events <secretId>')
  .description("a secret's audit trail, newest first (onboarding steps, rotations, offboarding)")
  .option('--limit <n>', 'stop after this many', positiveInt)
  .action((secretId: string, options: { limit?: number }) =>
    run(async () => {
      const client = api();
      const items: AuditEventView[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ok(client.GET('/v1/secrets/{secretId}/events', { params: { path: { secretId }, query: { limit: Math.min(100, options.limit ?? 100), ...(nextToken ? { nextToken } : {}) } } }));
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken && items.length < (options.limit ?? Infinity));
      const shown = items.slice(0, options.limit ?? items.length);
      if (wantsJson(program)) return print({ items: shown });
      for (const e of shown) {
        const d = e.detail as { step?: string; outcome?: string; errorClass?: string; errorMessage?: string; account?: string; region?: string; actor?: string };
        const why = d.errorClass ? `  ${d.errorClass}: ${d.errorMessage ?? ''}` : '';
        console.log(`${e.time}  ${e.detailType.padEnd(25)}  ${(d.step ?? '').padEnd(22)}  ${d.outcome ?? ''}  ${d.account ?? ''} ${d.region ?? ''}  ${d.actor ?? ''}${why}`);
      }
      if (shown.length === 0) console.log('no events');
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

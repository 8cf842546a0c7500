import { Option, type Command } from 'commander';
import type { ComplianceCount, Finding, FindingState, RuleId } from '../../../shared/contract/types.ts';
import { findingStateValues, ruleIdValues } from '../../../shared/contract/types.ts';
import { ApiError, ok } from '../api-client.ts';
import { api, positiveInt, print, run, wantsJson } from '../cli.ts';

type Output = 'table' | 'json' | 'csv';
interface Filters {
  account?: string;
  region?: string;
  team?: string;
  rule?: RuleId;
  state?: FindingState;
}

const filterOptions = (command: Command, withRuleAndState: boolean) => {
  command.option('--account <id>', 'only this AWS account').option('--region <region>', 'only this region').option('--team <team>', 'only this team (an auditor may name any team)');
  if (withRuleAndState) {
    command.addOption(new Option('--rule <rule>', 'only this rule').choices(ruleIdValues)).addOption(new Option('--state <state>', 'only findings in this state').choices(findingStateValues));
  }
  return command.addOption(new Option('--output <format>', 'table, json or csv').choices(['table', 'json', 'csv']).default('table'));
};

const query = (o: Filters) => ({
  ...(o.account ? { account: o.account } : {}),
  ...(o.region ? { region: o.region } : {}),
  ...(o.team ? { team: o.team } : {}),
  ...(o.rule ? { rule: o.rule } : {}),
  ...(o.state ? { state: o.state } : {}),
});

const outputOf = (program: Command, o: { output?: Output }): Output => (wantsJson(program) ? 'json' : (o.output ?? 'table'));

/** Columns padded to their widest cell, the last left free. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csv = (rows: string[][]) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

const countRows = (title: string, counts: ComplianceCount[]) => [[title, 'secrets', 'compliant', 'non-compliant', 'compliant %'], ...counts.map((c) => [c.key, String(c.secrets), String(c.compliant), String(c.nonCompliant), `${c.compliantPercent}%`])];

/** How many days a finding has been in its state, on the evaluator's clock (the local cloud's may run ahead). */
const daysIn = (f: Finding) => Math.max(0, Math.floor((Date.parse(f.evaluatedAt) - Date.parse(f.since)) / 86_400_000));

export function complianceCommands(program: Command): void {
  const compliance = program.command('compliance').description("the organisation's secrets against the compliance rules (a team sees its own; an auditor the organisation)");

  filterOptions(compliance.command('summary', { isDefault: true }).description('how many secrets comply: totals, by rule, account, region and team, and the trend'), false).action((o: Filters & { output: Output }) =>
    run(async () => {
      const summary = await ok(api().GET('/v1/compliance/summary', { params: { query: query(o) } }));
      const output = outputOf(program, o);
      if (output === 'json') return print(summary);
      const byRule = [['rule', 'compliant', 'non-compliant', 'not applicable'], ...summary.byRule.map((r) => [r.rule, String(r.compliant), String(r.nonCompliant), String(r.notApplicable)])];
      if (output === 'csv') {
        process.stdout.write(csv([['dimension', 'key', 'secrets', 'compliant', 'nonCompliant', 'compliantPercent'], ...(['byAccount', 'byRegion', 'byTeam'] as const).flatMap((d) => summary[d].map((c) => [d, c.key, String(c.secrets), String(c.compliant), String(c.nonCompliant), String(c.compliantPercent)]))]));
        return;
      }
      console.log(`${summary.totals.secrets} secrets, ${summary.totals.compliant} compliant (${summary.compliantPercent}%), ${summary.totals.nonCompliant} not${summary.evaluatedAt ? `; evaluated ${summary.evaluatedAt}` : ''}`);
      for (const block of [byRule, countRows('account', summary.byAccount), countRows('region', summary.byRegion), countRows('team', summary.byTeam)]) console.log(`\n${table(block)}`);
      if (summary.trend.length) console.log(`\ntrend: ${summary.trend.slice(-12).map((t) => `${t.at.slice(0, 16)} ${t.compliantPercent}%`).join(', ')}`);
    }),
  );

  filterOptions(compliance.command('findings').description('findings, the longest non-compliant first (every page)'), true)
    .option('--limit <n>', 'stop after this many', positiveInt)
    .action((o: Filters & { output: Output; limit?: number }) =>
      run(async () => {
        const client = api();
        const output = outputOf(program, o);
        if (output === 'csv' && !o.limit) {
          const { data, error, response } = await client.GET('/v1/compliance/export', { params: { query: { format: 'csv', ...query(o) } }, parseAs: 'text' });
          if (error !== undefined || !response.ok) throw new ApiError(response.status, (typeof error === 'string' ? JSON.parse(error) : (error ?? {})) as object);
          process.stdout.write(data as unknown as string);
          return;
        }
        const items: Finding[] = [];
        let nextToken: string | undefined;
        do {
          const page = await ok(client.GET('/v1/compliance/findings', { params: { query: { ...query(o), limit: 100, ...(nextToken ? { nextToken } : {}) } } }));
          items.push(...page.items);
          nextToken = page.nextToken;
        } while (nextToken && items.length < (o.limit ?? Infinity));
        const shown = items.slice(0, o.limit ?? items.length);
        if (output === 'json') return print({ items: shown });
        const rows = shown.map((f) => [f.state, f.rule, f.account, f.region, f.team ?? '-', f.name, `${daysIn(f)}d`, f.reason, f.findingId]);
        if (output === 'csv') {
          process.stdout.write(csv([['state', 'rule', 'account', 'region', 'team', 'name', 'since', 'reason', 'findingId'], ...shown.map((f) => [f.state, f.rule, f.account, f.region, f.team ?? '', f.name, f.since, f.reason, f.findingId])]));
          return;
        }
        if (shown.length === 0) return console.log('no findings');
        console.log(table([['state', 'rule', 'account', 'region', 'team', 'secret', 'for', 'why', 'finding id'], ...rows.map((r) => [...r.slice(0, 7), r[7]!.slice(0, 80), r[8]!])]));
        console.log(`\nfix one: rotctl onboard --from-finding <finding id> --schedule "rotate every 30 days"`);
      }),
    );

  compliance
    .command('secret <secretId>')
    .description("one secret's findings for every rule, and how they changed")
    .action((secretId: string) =>
      run(async () => {
        const view = await ok(api().GET('/v1/compliance/secrets/{secretId}', { params: { path: { secretId } } }));
        if (wantsJson(program)) return print(view);
        console.log(view.secretArn);
        console.log(table([['rule', 'state', 'since', 'why'], ...view.findings.map((f) => [f.rule, f.state, f.since, f.reason])]));
        if (view.history.length) console.log(`\nchanges:\n${view.history.map((h) => `  ${h.at} ${h.rule}: ${h.from} -> ${h.to}${h.reason ? ` (${h.reason})` : ''}`).join('\n')}`);
      }),
    );

  compliance
    .command('evaluate')
    .description('evaluate the organisation now, and wait for it')
    .option('--no-wait', 'return once the evaluation has started')
    .action((o: { wait: boolean }) =>
      run(async () => {
        const client = api();
        let evaluation = await ok(client.POST('/v1/compliance/evaluations'));
        while (o.wait && evaluation.status === 'running') {
          await new Promise((r) => setTimeout(r, 500));
          evaluation = await ok(client.GET('/v1/compliance/evaluations/{evaluationId}', { params: { path: { evaluationId: evaluation.evaluationId } } }));
        }
        if (wantsJson(program)) return print(evaluation);
        console.log(`${evaluation.evaluationId} ${evaluation.status}${evaluation.secrets !== undefined ? `: ${evaluation.secrets} secrets, ${evaluation.listSecretsCalls} ListSecrets calls, ${evaluation.durationMs} ms` : ''}${evaluation.error ? ` (${evaluation.error})` : ''}`);
        return evaluation.status === 'failed' ? 1 : 0;
      }),
    );
}

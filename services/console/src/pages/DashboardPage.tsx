import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import LineChart from '@cloudscape-design/components/line-chart';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useCollection } from '@cloudscape-design/collection-hooks';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import type { ComplianceCount, Finding } from '../../../../shared/contract/types.ts';
import { findingStateValues, ruleIdValues } from '../../../../shared/contract/types.ts';
import { allFindings, complianceSummary, exportFindingsCsv, type ComplianceFilter } from '../api/compliance.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { when } from '../components/time.ts';

const percent = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n * 10) / 10}%`);
const ANY: SelectProps.Option = { value: '', label: 'Any' };

function CountTable({ title, rows, testId }: { title: string; rows: ComplianceCount[]; testId: string }) {
  return (
    <div data-testid={testId}>
      <Table
        variant="embedded"
        header={<Header variant="h3">{title}</Header>}
        items={rows}
        trackBy="key"
        empty={<Box textAlign="center">None</Box>}
        columnDefinitions={[
          { id: 'key', header: title.replace(/^By /, ''), cell: (r) => r.key },
          { id: 'secrets', header: 'Secrets', cell: (r) => r.secrets },
          { id: 'nc', header: 'Non-compliant', cell: (r) => r.nonCompliant },
          { id: 'pct', header: 'Compliant', cell: (r) => percent(r.compliantPercent) },
        ]}
      />
    </div>
  );
}

/** Org-wide (for auditors) or team-wide compliance: the summary, its trend and the findings behind it. */
export function DashboardPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  // The filters live in the URL: a filtered view is a link to share.
  const filter: ComplianceFilter = Object.fromEntries(['account', 'region', 'team', 'rule', 'state'].map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v)) as ComplianceFilter;
  const setFilter = (key: keyof ComplianceFilter, value: string) => setParams((p) => (value ? p.set(key, value) : p.delete(key), p), { replace: true });
  const scope = { account: filter.account, region: filter.region, team: filter.team };

  const summary = useQuery({ queryKey: ['compliance-summary', scope], queryFn: () => complianceSummary(scope) });
  const findings = useQuery({ queryKey: ['findings', filter], queryFn: () => allFindings(filter) });
  const download = useMutation({
    mutationFn: () => exportFindingsCsv(filter),
    onSuccess: (blob) => {
      const url = URL.createObjectURL(blob);
      const a = Object.assign(document.createElement('a'), { href: url, download: 'findings.csv' });
      a.click();
      URL.revokeObjectURL(url);
    },
  });

  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(findings.data ?? [], {
    filtering: {
      filteringFunction: (f, text) => [f.name, f.account, f.region, f.team ?? '', f.rule, f.reason].some((v) => v.toLowerCase().includes(text.toLowerCase())),
      empty: <Box textAlign="center">No findings for these filters</Box>,
      noMatch: <Box textAlign="center">No finding matches the text</Box>,
    },
    sorting: {},
    pagination: { pageSize: 25 },
  });

  const s = summary.data;
  const options = (values: readonly string[]) => [ANY, ...values.map((v) => ({ value: v, label: v }))];
  const pick = (key: keyof ComplianceFilter, values: readonly string[], label: string) => (
    <FormField label={label}>
      <div style={{ minWidth: 180 }}>
        <Select
          selectedOption={filter[key] ? { value: filter[key], label: filter[key] } : ANY}
          options={options(values)}
          onChange={({ detail }) => setFilter(key, detail.selectedOption.value ?? '')}
          ariaLabel={label}
        />
      </div>
    </FormField>
  );

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={s?.evaluatedAt ? `Evaluated ${when(s.evaluatedAt)}` : 'Whether secrets rotate as the policy requires'}>
        Compliance
      </Header>
      <SpaceBetween direction="horizontal" size="m">
        {pick('account', [...new Set((s?.byAccount ?? []).map((c) => c.key).concat(filter.account ?? []))], 'Account')}
        {pick('region', [...new Set((s?.byRegion ?? []).map((c) => c.key).concat(filter.region ?? []))], 'Region')}
        {pick('team', [...new Set((s?.byTeam ?? []).map((c) => c.key).concat(filter.team ?? []))], 'Team')}
        {pick('rule', ruleIdValues, 'Rule')}
        {pick('state', findingStateValues, 'State')}
      </SpaceBetween>
      {summary.error ? <ProblemAlert error={summary.error} /> : null}
      <Container header={<Header variant="h2">Summary</Header>}>
        {summary.isPending ? (
          <StatusIndicator type="loading">Loading the summary</StatusIndicator>
        ) : s ? (
          <ColumnLayout columns={4} variant="text-grid">
            <div>
              <Box variant="awsui-key-label">Compliant</Box>
              <Box variant="awsui-value-large">
                <span data-testid="compliant-percent">{percent(s.compliantPercent)}</span>
              </Box>
            </div>
            <div>
              <Box variant="awsui-key-label">Secrets</Box>
              <Box variant="awsui-value-large"><span data-testid="total-secrets">{s.totals.secrets}</span></Box>
            </div>
            <div>
              <Box variant="awsui-key-label">Compliant secrets</Box>
              <Box variant="awsui-value-large"><span data-testid="total-compliant">{s.totals.compliant}</span></Box>
            </div>
            <div>
              <Box variant="awsui-key-label">Non-compliant secrets</Box>
              <Box variant="awsui-value-large"><span data-testid="total-non-compliant">{s.totals.nonCompliant}</span></Box>
            </div>
          </ColumnLayout>
        ) : null}
      </Container>
      {s ? (
        <ColumnLayout columns={2}>
          <Container header={<Header variant="h2">Trend</Header>}>
            <LineChart
              series={[{ title: 'Compliant %', type: 'line', data: s.trend.map((t) => ({ x: new Date(t.at), y: t.compliantPercent })) }]}
              xScaleType="time"
              yDomain={[0, 100]}
              xTitle="Evaluation"
              yTitle="Compliant %"
              height={220}
              hideFilter
              ariaLabel="Compliant percentage over time"
              empty={<Box textAlign="center">No evaluations yet</Box>}
              i18nStrings={{ xTickFormatter: (d) => d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) }}
            />
          </Container>
          <Container header={<Header variant="h2">By rule</Header>}>
            <Table
              variant="embedded"
              items={s.byRule}
              trackBy="rule"
              empty={<Box textAlign="center">None</Box>}
              columnDefinitions={[
                { id: 'rule', header: 'Rule', cell: (r) => <Link onFollow={() => setFilter('rule', r.rule)}>{r.rule}</Link> },
                { id: 'c', header: 'Compliant', cell: (r) => r.compliant },
                { id: 'nc', header: 'Non-compliant', cell: (r) => r.nonCompliant },
                { id: 'na', header: 'N/A', cell: (r) => r.notApplicable },
              ]}
            />
          </Container>
          <Container>
            <CountTable title="By account" rows={s.byAccount} testId="by-account" />
          </Container>
          <Container>
            <SpaceBetween size="m">
              <CountTable title="By region" rows={s.byRegion} testId="by-region" />
              <CountTable title="By team" rows={s.byTeam} testId="by-team" />
            </SpaceBetween>
          </Container>
        </ColumnLayout>
      ) : null}
      {findings.error ? <ProblemAlert error={findings.error} /> : null}
      {download.error ? <ProblemAlert error={download.error} header="The export failed" /> : null}
      <Table<Finding>
        {...collectionProps}
        items={items}
        loading={findings.isPending}
        loadingText="Loading findings"
        trackBy="findingId"
        variant="container"
        header={
          <Header
            variant="h2"
            counter={findings.data ? `(${findings.data.length})` : undefined}
            actions={
              <Button iconName="download" loading={download.isPending} onClick={() => download.mutate()}>
                Export CSV
              </Button>
            }
          >
            Findings
          </Header>
        }
        filter={<TextFilter {...filterProps} filteringPlaceholder="Find findings" filteringAriaLabel="Find findings" countText={`${filteredItemsCount ?? 0} matches`} />}
        pagination={<Pagination {...paginationProps} />}
        columnDefinitions={[
          { id: 'name', header: 'Secret', sortingField: 'name', cell: (f) => f.name },
          { id: 'account', header: 'Account', sortingField: 'account', cell: (f) => f.account },
          { id: 'region', header: 'Region', sortingField: 'region', cell: (f) => f.region },
          { id: 'team', header: 'Team', sortingField: 'team', cell: (f) => f.team ?? '-' },
          { id: 'rule', header: 'Rule', sortingField: 'rule', cell: (f) => f.rule },
          { id: 'state', header: 'State', sortingField: 'state', cell: (f) => <StatusIndicator type={f.state === 'COMPLIANT' ? 'success' : f.state === 'NON_COMPLIANT' ? 'error' : 'stopped'}>{f.state}</StatusIndicator> },
          { id: 'reason', header: 'Reason', cell: (f) => f.reason },
          { id: 'since', header: 'Since', sortingField: 'since', cell: (f) => when(f.since) },
          {
            id: 'action',
            header: 'Action',
            cell: (f) =>
              f.state === 'NON_COMPLIANT' && (f.remediation?.action === 'onboard' || f.remediation?.action === 'reonboard') ? (
                <Button variant="inline-link" ariaLabel={`Onboard ${f.name}`} onClick={() => navigate(`/onboard?secret=${encodeURIComponent(f.secretArn)}`)}>
                  Onboard
                </Button>
              ) : (
                (f.remediation?.detail ?? '')
              ),
          },
        ]}
      />
    </SpaceBetween>
  );
}

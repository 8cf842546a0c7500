import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { Onboarding, OnboardingStatus } from '../../../../shared/contract/types.ts';
import { api, ok } from '../api/client.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { when } from '../components/time.ts';

const FINAL: OnboardingStatus[] = ['succeeded', 'failed', 'cancelled', 'offboarded'];

export const statusType: Record<OnboardingStatus, StatusIndicatorProps.Type> = {
  pending: 'pending',
  running: 'in-progress',
  succeeded: 'success',
  failed: 'error',
  cancelling: 'in-progress',
  cancelled: 'stopped',
  offboarded: 'stopped',
};

/** What to do after a failure, by the step that failed: the reason says why, this says where to look. */
function nextMove(onboarding: Onboarding): string {
  const step = onboarding.failure?.step ?? '';
  if (/preflight/i.test(step)) return 'The rotator could not log in with the current credential: check the secret\'s host, port, username and password, and that the service is reachable from the rotator, then onboard again.';
  if (/validate/i.test(step)) return 'Fix the secret or the request as the reason says, then onboard again.';
  if (/network/i.test(step)) return 'Give the network placement (VPC, subnets, security groups) the service is reachable from, then onboard again.';
  if (/rotation|Rotate|Await/i.test(step)) return 'The first rotation did not finish: the reason names the rotation step; My secrets shows the secret\'s last failure. Everything the onboarding changed was undone, so onboarding again is safe.';
  return 'Everything the onboarding changed was undone: fix what the reason says and onboard again.';
}

/** One onboarding, watched live: its steps as they complete, ending with the result or the reason it failed. */
export function OnboardingPage() {
  const { onboardingId = '' } = useParams();
  const onboarding = useQuery({
    queryKey: ['onboarding', onboardingId],
    queryFn: () => ok(api.GET('/v1/onboardings/{onboardingId}', { params: { path: { onboardingId } } })),
    refetchInterval: (query) => (query.state.data && FINAL.includes(query.state.data.status) ? false : 1000),
  });
  const data = onboarding.data;

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={data?.secretArn}>
        Onboarding {onboardingId}
      </Header>
      {onboarding.error ? <ProblemAlert error={onboarding.error} /> : null}
      {onboarding.isPending ? <Spinner size="large" /> : null}
      {data ? (
        <>
          {data.status === 'succeeded' ? (
            <Alert type="success" header="Onboarded: the secret rotates automatically" action={<Link to={`/secrets/${encodeURIComponent(data.secretArn)}`}>See its rotation</Link>}>
              The first rotation succeeded; the schedule {data.schedule ? `"${data.schedule}"` : ''} applies from now on.
            </Alert>
          ) : null}
          {data.status === 'failed' ? (
            <Alert type="error" header={`Failed at ${data.failure?.step ?? 'a step'}${data.failure?.errorClass ? ` (${data.failure.errorClass})` : ''}`}>
              <SpaceBetween size="xs">
                <span data-testid="failure-reason">{data.failure?.reason ?? 'no reason was recorded'}</span>
                <Box>
                  <b>What to do:</b> {nextMove(data)}
                </Box>
              </SpaceBetween>
            </Alert>
          ) : null}
          <Container header={<Header variant="h2">Status</Header>}>
            <KeyValuePairs
              columns={4}
              items={[
                { label: 'Status', value: <StatusIndicator type={statusType[data.status]} >{data.status}</StatusIndicator>, id: 'status' },
                { label: 'Current step', value: data.currentStep ?? '-' },
                { label: 'Account / region', value: `${data.account ?? data.secretArn.split(':')[4] ?? '-'} / ${data.region ?? data.secretArn.split(':')[3] ?? '-'}` },
                { label: 'Strategy', value: data.strategy ?? 'default' },
              ]}
            />
          </Container>
          <Table
            header={<Header variant="h2" counter={`(${data.steps.length})`}>Steps</Header>}
            items={data.steps}
            trackBy={(s) => `${s.step}-${s.at}`}
            variant="container"
            empty={<Box textAlign="center">No step has finished yet</Box>}
            columnDefinitions={[
              { id: 'step', header: 'Step', cell: (s) => s.step },
              { id: 'outcome', header: 'Outcome', cell: (s) => <StatusIndicator type={s.outcome === 'succeeded' ? 'success' : s.outcome === 'failed' ? 'error' : 'stopped'}>{s.outcome}</StatusIndicator> },
              { id: 'at', header: 'At', cell: (s) => when(s.at) },
              { id: 'duration', header: 'Duration', cell: (s) => (s.durationMs === undefined ? '-' : `${Math.round(s.durationMs)} ms`) },
              { id: 'message', header: 'Message', cell: (s) => s.message ?? '' },
            ]}
          />
          {!FINAL.includes(data.status) ? <StatusIndicator type="loading">Watching the workflow</StatusIndicator> : null}
          <Link to="/secrets">Back to my secrets</Link>
        </>
      ) : null}
    </SpaceBetween>
  );
}

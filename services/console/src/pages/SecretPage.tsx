import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import { api, ok } from '../api/client.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { when } from '../components/time.ts';

/** Fields of an audit event's detail worth a column; the rest stays in the event. */
const summary = (detail: Record<string, unknown>) =>
  ['step', 'outcome', 'errorClass', 'message', 'actor'].map((k) => (detail[k] === undefined ? '' : `${k}: ${String(detail[k])}`)).filter(Boolean).join(' · ');

/** One secret: its rotation state and its audit trail. */
export function SecretPage() {
  const { secretId = '' } = useParams();
  const rotation = useQuery({ queryKey: ['rotation', secretId], queryFn: () => ok(api.GET('/v1/secrets/{secretId}/rotation', { params: { path: { secretId } } })) });
  const events = useQuery({ queryKey: ['events', secretId], queryFn: () => ok(api.GET('/v1/secrets/{secretId}/events', { params: { path: { secretId }, query: { limit: 50 } } })) });
  const r = rotation.data;

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={r?.secretArn ?? secretId}>
        {secretId.replace(/^arn:aws:secretsmanager:[^:]+:\d+:secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '')}
      </Header>
      {rotation.error ? <ProblemAlert error={rotation.error} /> : null}
      <Container header={<Header variant="h2">Rotation</Header>}>
        {rotation.isPending ? (
          <Spinner />
        ) : r ? (
          <KeyValuePairs
            columns={3}
            items={[
              { label: 'Rotation', value: <StatusIndicator type={r.enabled ? 'success' : 'stopped'}>{r.enabled ? 'enabled' : 'off'}</StatusIndicator> },
              { label: 'Schedule', value: r.rules?.ScheduleExpression ?? (r.rules?.AutomaticallyAfterDays ? `every ${r.rules.AutomaticallyAfterDays} days` : '-') },
              { label: 'Window', value: r.rules?.Duration ?? '-' },
              { label: 'Last rotated', value: when(r.lastRotatedAt) },
              { label: 'Next rotation by', value: when(r.nextRotationBy) },
              { label: 'Account / region', value: `${r.account ?? r.secretArn.split(':')[4] ?? '-'} / ${r.region ?? r.secretArn.split(':')[3] ?? '-'}` },
              { label: 'Last failure', value: r.lastFailure ? <StatusIndicator type="error">{`${when(r.lastFailure.at)} at ${r.lastFailure.step ?? '?'}: ${r.lastFailure.reason ?? ''}`}</StatusIndicator> : 'none' },
              { label: 'Rotation function', value: r.rotationLambdaArn ?? '-' },
            ]}
          />
        ) : null}
      </Container>
      {events.error ? <ProblemAlert error={events.error} header="The audit trail cannot be shown" /> : null}
      <Table
        variant="container"
        header={<Header variant="h2" description="Every onboarding and rotation step for this secret, newest first">Audit trail</Header>}
        loading={events.isPending}
        loadingText="Loading the audit trail"
        items={events.data?.items ?? []}
        trackBy="id"
        empty={<Box textAlign="center">No events for this secret yet</Box>}
        columnDefinitions={[
          { id: 'time', header: 'Time', cell: (e) => when(e.time) },
          { id: 'type', header: 'Event', cell: (e) => e.detailType },
          { id: 'detail', header: 'Detail', cell: (e) => summary(e.detail) },
        ]}
      />
    </SpaceBetween>
  );
}

import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Modal from '@cloudscape-design/components/modal';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useCollection } from '@cloudscape-design/collection-hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { SecretSummary } from '../../../../shared/contract/types.ts';
import { api, asProblem, ok } from '../api/client.ts';
import { useSecrets } from '../api/queries.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { when } from '../components/time.ts';

export const secretHref = (s: Pick<SecretSummary, 'secretArn'>) => `/secrets/${encodeURIComponent(s.secretArn)}`;

/** The team's onboarded secrets with their rotation state; rotate one now, or offboard it. */
export function SecretsPage() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const secrets = useSecrets({ onboarded: true });
  const [selected, setSelected] = useState<SecretSummary[]>([]);
  const [confirming, setConfirming] = useState<SecretSummary | undefined>();
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);
  const say = (message: FlashbarProps.MessageDefinition) => setFlash([{ ...message, dismissible: true, onDismiss: () => setFlash([]) }]);

  const rotate = useMutation({
    mutationFn: (s: SecretSummary) => ok(api.POST('/v1/secrets/{secretId}/rotations', { params: { path: { secretId: s.secretArn } } })),
    onSuccess: (_, s) => say({ type: 'success', content: `Rotation of ${s.name} started; its state updates when the rotation finishes.` }),
    onError: (err, s) => say({ type: 'error', header: `${s.name} was not rotated`, content: asProblem(err).detail }),
    onSettled: () => queries.invalidateQueries({ queryKey: ['secrets'] }),
  });
  const offboard = useMutation({
    mutationFn: (s: SecretSummary) => ok(api.DELETE('/v1/onboardings/{onboardingId}', { params: { path: { onboardingId: s.onboardingId ?? '' } } })),
    onSuccess: (_, s) => say({ type: 'success', content: `${s.name} was offboarded: rotation is cancelled and the onboarding's tags removed.` }),
    onError: (err, s) => say({ type: 'error', header: `${s.name} was not offboarded`, content: asProblem(err).detail }),
    onSettled: () => {
      setConfirming(undefined);
      setSelected([]);
      void queries.invalidateQueries({ queryKey: ['secrets'] });
    },
  });

  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(secrets.data ?? [], {
    filtering: {
      filteringFunction: (s, text) => [s.name, s.account, s.region, s.serviceType ?? ''].some((v) => v.toLowerCase().includes(text.toLowerCase())),
      empty: (
        <Box textAlign="center" padding="m">
          <b>No onboarded secrets</b>
          <Box variant="p">Onboard one of your team's secrets to have it rotate automatically.</Box>
          <Button onClick={() => navigate('/onboard')}>Onboard a secret</Button>
        </Box>
      ),
      noMatch: <Box textAlign="center">No secret matches the filter</Box>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
    pagination: { pageSize: 20 },
  });
  const one = selected[0];

  return (
    <SpaceBetween size="m">
      <Flashbar items={flash} />
      {secrets.error ? <ProblemAlert error={secrets.error} /> : null}
      <Table
        {...collectionProps}
        items={items}
        loading={secrets.isPending}
        loadingText="Loading your team's secrets"
        selectionType="single"
        selectedItems={selected}
        onSelectionChange={({ detail }) => setSelected(detail.selectedItems)}
        trackBy="secretArn"
        ariaLabels={{ itemSelectionLabel: (_, s) => s.name, selectionGroupLabel: 'Secret' }}
        variant="full-page"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={secrets.data ? `(${secrets.data.length})` : undefined}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button disabled={!one} loading={rotate.isPending} onClick={() => one && rotate.mutate(one)}>
                  Rotate now
                </Button>
                <Button disabled={!one?.onboardingId} onClick={() => setConfirming(one)}>
                  Offboard
                </Button>
                <Button variant="primary" onClick={() => navigate('/onboard')}>
                  Onboard a secret
                </Button>
              </SpaceBetween>
            }
          >
            My secrets
          </Header>
        }
        filter={<TextFilter {...filterProps} filteringPlaceholder="Find a secret" filteringAriaLabel="Find a secret" countText={`${filteredItemsCount ?? 0} matches`} />}
        pagination={<Pagination {...paginationProps} />}
        columnDefinitions={[
          {
            id: 'name',
            header: 'Secret',
            sortingField: 'name',
            cell: (s) => (
              <Link href={secretHref(s)} onFollow={(e) => (e.preventDefault(), navigate(secretHref(s)))}>
                {s.name}
              </Link>
            ),
          },
          { id: 'account', header: 'Account', sortingField: 'account', cell: (s) => s.account },
          { id: 'region', header: 'Region', sortingField: 'region', cell: (s) => s.region },
          { id: 'type', header: 'Service type', cell: (s) => s.serviceType ?? '-' },
          { id: 'enabled', header: 'Rotation', cell: (s) => <StatusIndicator type={s.rotationEnabled ? 'success' : 'stopped'}>{s.rotationEnabled ? 'enabled' : 'off'}</StatusIndicator> },
          { id: 'last', header: 'Last rotated', sortingField: 'lastRotatedAt', cell: (s) => when(s.lastRotatedAt) },
          { id: 'next', header: 'Next rotation by', sortingField: 'nextRotationBy', cell: (s) => when(s.nextRotationBy) },
          { id: 'failure', header: 'Last failure', cell: (s) => (s.lastFailure ? <StatusIndicator type="error">{`${s.lastFailure.step}: ${s.lastFailure.reason}`}</StatusIndicator> : '-') },
        ]}
      />
      <Modal
        visible={confirming !== undefined}
        onDismiss={() => setConfirming(undefined)}
        header={`Offboard ${confirming?.name ?? ''}?`}
        footer={
          <Box float="right">
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => setConfirming(undefined)}>
                Cancel
              </Button>
              <Button variant="primary" loading={offboard.isPending} onClick={() => confirming && offboard.mutate(confirming)}>
                Offboard
              </Button>
            </SpaceBetween>
          </Box>
        }
      >
        Offboarding cancels the secret's automatic rotation and removes the tags onboarding set. The secret and its current value stay as they are: applications keep working with the current password, which no longer changes until the secret is onboarded again.
      </Modal>
    </SpaceBetween>
  );
}

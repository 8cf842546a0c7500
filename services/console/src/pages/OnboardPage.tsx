import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import type { OnboardingRequest, SecretSummary, ServiceType } from '../../../../shared/contract/types.ts';
import { serviceTypeValues, strategyValues } from '../../../../shared/contract/types.ts';
import { api, ok } from '../api/client.ts';
import { fieldError, useSecrets, useServiceTypes } from '../api/queries.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { when } from '../components/time.ts';

type Strategy = (typeof strategyValues)[number];
type ServiceTypeName = (typeof serviceTypeValues)[number];

/** A value that settles: the schedule preview asks the API once typing pauses, not per key. */
function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

const secretOption = (s: SecretSummary): SelectProps.Option => ({
  value: s.secretArn,
  label: s.name,
  description: `account ${s.account} · ${s.region}`,
  tags: [s.onboarded ? 'onboarded' : 'not onboarded', ...(s.serviceType ? [s.serviceType] : [])],
  disabled: s.onboarded,
});

/** The service type a secret's type name belongs to (a type serves several engines, e.g. aurora-postgresql). */
const typeFor = (types: ServiceType[] | undefined, name: string | undefined) => types?.find((t) => t.name === name || t.engines.includes(name ?? ''));

export function OnboardPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const secrets = useSecrets();
  const types = useServiceTypes();
  const secretArn = params.get('secret') ?? '';
  const [serviceType, setServiceType] = useState<string>('');
  const [strategy, setStrategy] = useState<string>('');
  const [schedule, setSchedule] = useState('rotate every 30 days');
  const [window_, setWindow] = useState('');
  const [rotateImmediately, setRotateImmediately] = useState(true);

  const selected = secrets.data?.find((s) => s.secretArn === secretArn || s.name === secretArn);
  const detected = typeFor(types.data, selected?.serviceType);
  const chosenType = detected ?? typeFor(types.data, serviceType);
  const strategies = chosenType?.strategies ?? [...strategyValues];

  const request: OnboardingRequest = {
    secretId: selected?.secretArn ?? secretArn,
    schedule,
    ...(window_ ? { window: window_ } : {}),
    ...(strategy ? { strategy: strategy as Strategy } : {}),
    ...(!detected && serviceType ? { serviceType: serviceType as ServiceTypeName } : {}),
    rotateImmediately,
  };
  // One key per distinct request: a double submit (or a retry after a lost answer) gets the same onboarding back.
  const requestText = JSON.stringify(request);
  const idempotencyKey = useMemo(() => `console-${requestText.length}-${crypto.randomUUID()}`, [requestText]);

  const settled = useSettled({ schedule, window: window_ });
  const preview = useQuery({
    queryKey: ['schedule-preview', settled],
    queryFn: () => ok(api.POST('/v1/schedules/preview', { body: { schedule: settled.schedule, ...(settled.window ? { window: settled.window } : {}), count: 5 } })),
    enabled: settled.schedule.trim().length > 0,
    retry: false,
  });

  const submit = useMutation({
    mutationFn: () => ok(api.POST('/v1/onboardings', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body: request })),
    onSuccess: (onboarding) => navigate(`/onboardings/${onboarding.onboardingId}`),
  });

  const scheduleError = fieldError(preview.error, '/schedule') ?? fieldError(submit.error, '/schedule') ?? (preview.error && !fieldError(preview.error, '/window') ? (preview.error as Error).message : undefined);
  const windowError = fieldError(preview.error, '/window') ?? fieldError(submit.error, '/window');

  return (
    <form onSubmit={(e) => (e.preventDefault(), submit.mutate())}>
      <Form
        header={<Header variant="h1" description="Rotation through the fleet rotator: the workflow checks the secret, logs in with it, configures rotation and waits for the first one.">Onboard a secret</Header>}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" formAction="none" onClick={() => navigate('/secrets')}>
              Cancel
            </Button>
            <Button variant="primary" loading={submit.isPending} disabled={!request.secretId || !schedule.trim()} formAction="submit">
              Onboard
            </Button>
          </SpaceBetween>
        }
        errorText={submit.error ? <ProblemAlert error={submit.error} header="The onboarding was not started" /> : undefined}
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Secret</Header>}>
            <SpaceBetween size="m">
              {secrets.error ? <ProblemAlert error={secrets.error} /> : null}
              <FormField label="Secret" description="A secret of your team, in any member account and region.">
                <Select
                  selectedOption={selected ? secretOption(selected) : null}
                  onChange={({ detail }) => {
                    setParams((p) => (p.set('secret', detail.selectedOption.value ?? ''), p), { replace: true });
                    setStrategy('');
                  }}
                  options={(secrets.data ?? []).map(secretOption)}
                  filteringType="auto"
                  placeholder="Choose a secret"
                  statusType={secrets.isPending ? 'loading' : secrets.error ? 'error' : 'finished'}
                  loadingText="Loading your team's secrets"
                  empty="Your team has no secrets: tag a secret rcp:team=<your team> to see it here"
                  ariaLabel="Secret"
                />
              </FormField>
              {selected ? (
                <KeyValuePairs
                  columns={3}
                  items={[
                    { label: 'Account', value: selected.account },
                    { label: 'Region', value: selected.region },
                    { label: 'Service type', value: detected ? detected.name : 'read from the secret\'s engine key at preflight' },
                  ]}
                />
              ) : null}
              {selected && !detected ? (
                <FormField label="Service type (optional)" description="Only needed when the secret's value has no engine key.">
                  <Select
                    selectedOption={serviceType ? { value: serviceType, label: serviceType } : { value: '', label: 'From the secret (engine key)' }}
                    onChange={({ detail }) => setServiceType(detail.selectedOption.value ?? '')}
                    options={[{ value: '', label: 'From the secret (engine key)' }, ...serviceTypeValues.map((t) => ({ value: t, label: t }))]}
                    ariaLabel="Service type"
                  />
                </FormField>
              ) : null}
              <FormField label="Strategy" description={chosenType ? `${chosenType.name} supports: ${chosenType.strategies.join(', ')}` : 'The service type decides which strategies apply.'}>
                <Select
                  selectedOption={{ value: strategy, label: strategy || 'Default for the service type' }}
                  onChange={({ detail }) => setStrategy(detail.selectedOption.value ?? '')}
                  options={[{ value: '', label: 'Default for the service type' }, ...strategies.map((s) => ({ value: s, label: s }))]}
                  statusType={types.isPending ? 'loading' : 'finished'}
                  ariaLabel="Strategy"
                />
              </FormField>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Schedule</Header>}>
            <ColumnLayout columns={2}>
              <SpaceBetween size="m">
                <FormField label="Schedule" description="rotate every N days, rate(N hours|days) or cron(...) in UTC" errorText={scheduleError}>
                  <Input value={schedule} onChange={({ detail }) => setSchedule(detail.value)} ariaLabel="Schedule" />
                </FormField>
                <FormField label="Window length (optional)" description="e.g. 3h; rotation happens within the window" errorText={windowError}>
                  <Input value={window_} onChange={({ detail }) => setWindow(detail.value)} placeholder="3h" ariaLabel="Window length" />
                </FormField>
                <Checkbox checked={rotateImmediately} onChange={({ detail }) => setRotateImmediately(detail.checked)}>
                  Rotate once now, to prove rotation works
                </Checkbox>
              </SpaceBetween>
              <div data-testid="schedule-preview">
                <Box variant="awsui-key-label">Next five rotation windows</Box>
                {preview.isFetching ? (
                  <Spinner />
                ) : preview.data ? (
                  <ol>
                    {preview.data.windows.map((w) => (
                      <li key={w.start}>
                        {when(w.start)} – {when(w.end)}
                      </li>
                    ))}
                  </ol>
                ) : preview.error ? (
                  <StatusIndicator type="warning">Fix the schedule to see its windows</StatusIndicator>
                ) : (
                  <Box color="text-status-inactive">Enter a schedule</Box>
                )}
                {preview.data?.rules.ScheduleExpression ? <Box variant="small">Secrets Manager rule: {preview.data.rules.ScheduleExpression}{preview.data.rules.Duration ? `, window ${preview.data.rules.Duration}` : ''}</Box> : null}
              </div>
            </ColumnLayout>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}

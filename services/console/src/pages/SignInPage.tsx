import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import { useQueryClient } from '@tanstack/react-query';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, ok } from '../api/client.ts';
import { session } from '../api/session.ts';
import { cognitoUsers, signInConfig } from '../api/sign-in-config.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';

/** Locally a team signs in with its bearer token; the token is checked against the API before it is kept. */
export function SignInPage() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const config = useQuery({ queryKey: ['sign-in-config'], queryFn: signInConfig, staleTime: Infinity });
  const nextPath = (next: unknown) => (typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/secrets');

  // Back from Cognito's sign-in page with a code: exchange it (PKCE) for the ID token the API takes.
  const cognito = config.data?.kind === 'cognito' ? config.data : undefined;
  const returning = params.has('code') && params.has('state');
  useEffect(() => {
    if (!cognito || !returning) return;
    cognitoUsers(cognito)
      .signinCallback()
      .then((user) => {
        if (!user?.id_token) throw new Error('Cognito returned no ID token');
        session.signIn(user.id_token, 'cognito');
        queries.clear();
        navigate(nextPath(user.state), { replace: true });
      })
      .catch(setError);
  }, [cognito, returning, navigate, queries]);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    session.signIn(token.trim());
    try {
      await ok(api.GET('/v1/service-types'));
      queries.clear();
      navigate(nextPath(params.get('next')), { replace: true });
    } catch (err) {
      session.signOut();
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (cognito) {
    return (
      <Box padding="xxl">
        <div style={{ maxWidth: 480, margin: '0 auto' }}>
          <Container header={<Header variant="h1">Sign in</Header>}>
            {error ? <ProblemAlert error={error} /> : null}
            <Button variant="primary" loading={returning && !error} onClick={() => void cognitoUsers(cognito).signinRedirect({ state: params.get('next') ?? '/secrets' }).catch(setError)}>
              Sign in with your organisation account
            </Button>
          </Container>
        </div>
      </Box>
    );
  }

  return (
    <Box padding="xxl">
      <div style={{ maxWidth: 480, margin: '0 auto' }}>
        <form onSubmit={(e) => (e.preventDefault(), void submit())}>
          <Form
            header={<Header variant="h1">Sign in</Header>}
            actions={
              <Button variant="primary" loading={busy} disabled={!token.trim()} formAction="submit">
                Sign in
              </Button>
            }
            errorText={error ? <ProblemAlert error={error} /> : undefined}
          >
            <Container>
              <FormField label="Team token" description="The bearer token of your team: npm start prints one; RCP_TOKENS configures them.">
                <Input type="password" value={token} onChange={({ detail }) => setToken(detail.value)} autoFocus ariaLabel="Team token" />
              </FormField>
            </Container>
          </Form>
        </form>
      </div>
    </Box>
  );
}

import { UserManager } from 'oidc-client-ts';

/**
 * How users sign in, from /config.json beside the console's files: on AWS the CDK app writes the
 * Cognito user pool's settings there; locally there is none and a team signs in with its token.
 */
export type SignInConfig = { kind: 'token' } | { kind: 'cognito'; authority: string; domain: string; clientId: string; redirectUri: string };

let loaded: Promise<SignInConfig> | undefined;

export function signInConfig(): Promise<SignInConfig> {
  loaded ??= fetch('/config.json', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      const body = response.ok && response.headers.get('content-type')?.includes('json') ? ((await response.json()) as { auth?: SignInConfig }) : undefined;
      return body?.auth?.kind === 'cognito' ? body.auth : { kind: 'token' as const };
    })
    .catch(() => ({ kind: 'token' as const }));
  return loaded;
}

/** The OpenID Connect client for the user pool (authorisation code with PKCE; tokens only in this tab). */
export function cognitoUsers(config: Extract<SignInConfig, { kind: 'cognito' }>): UserManager {
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    post_logout_redirect_uri: config.redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    // Cognito's logout endpoint is on its domain, not in the discovery document.
    metadataSeed: { end_session_endpoint: `${config.domain}/logout?client_id=${encodeURIComponent(config.clientId)}&logout_uri=${encodeURIComponent(config.redirectUri)}` },
  });
}

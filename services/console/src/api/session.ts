/**
 * Who is signed in: locally the team's bearer token (npm start prints one), on AWS the Cognito ID
 * token (API Gateway's Cognito authoriser takes it as the whole Authorization header). Kept in
 * sessionStorage so it lasts while the tab is open and never outlives it.
 */
const KEY = 'rcp.console.token';
const SCHEME = 'rcp.console.scheme';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  authorization: (): string | null => {
    const token = sessionStorage.getItem(KEY);
    if (!token) return null;
    return sessionStorage.getItem(SCHEME) === 'cognito' ? token : `Bearer ${token}`;
  },
  signIn: (token: string, scheme: 'bearer' | 'cognito' = 'bearer') => {
    sessionStorage.setItem(KEY, token);
    sessionStorage.setItem(SCHEME, scheme);
  },
  signOut: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SCHEME);
  },
};

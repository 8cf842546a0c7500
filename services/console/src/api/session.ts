/**
 * Who is signed in: locally the team's bearer token (npm start prints one). Kept in sessionStorage
 * so it lasts while the tab is open and never outlives it.
 */
const KEY = 'rcp.console.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  signIn: (token: string) => sessionStorage.setItem(KEY, token),
  signOut: () => sessionStorage.removeItem(KEY),
};

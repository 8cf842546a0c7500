import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../../../shared/contract/openapi.ts';
import type { Problem } from '../../../../shared/contract/types.ts';
import { session } from './session.ts';

/** A problem the API answered (RFC 9457), shown as the API wrote it. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/** What a failed call shows when the API did not answer with a problem (the network, a proxy). */
function problemOf(response: Response, body: unknown): Problem {
  const candidate = body as Partial<Problem> | undefined;
  if (candidate && typeof candidate.detail === 'string' && typeof candidate.status === 'number') return candidate as Problem;
  return { type: 'about:blank', title: response.statusText || 'Request failed', status: response.status, detail: `the API answered HTTP ${response.status} without problem details` };
}

/** Sends the signed-in team's token with every call; a 401 ends the session so the sign-in page shows. */
const auth: Middleware = {
  onRequest({ request }) {
    const authorization = session.authorization();
    if (authorization) request.headers.set('authorization', authorization);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) {
      session.signOut();
      window.dispatchEvent(new Event('rcp:signed-out'));
    }
    return response;
  },
};

/** The REST API's typed client: paths, parameters and bodies come from openapi.yaml's generated types. */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

/** The body of a successful answer, or the API's problem thrown as an ApiProblem. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (err) {
    throw new ApiProblem({ type: 'about:blank', title: 'The API cannot be reached', status: 0, detail: `${(err as Error).message}: check that the control plane is running` });
  }
  if (result.error !== undefined || !result.response.ok) throw new ApiProblem(problemOf(result.response, result.error));
  return result.data as T;
}

/** Any thrown value as problem details, for the error alerts. */
export function asProblem(err: unknown): Problem {
  if (err instanceof ApiProblem) return err.problem;
  return { type: 'about:blank', title: 'Unexpected error', status: 0, detail: (err as Error)?.message ?? String(err) };
}

import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../shared/contract/openapi.ts';
import type { Problem } from '../../shared/contract/types.ts';

/** A problem the API answered, as rotctl shows it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? `HTTP ${status}`);
  }
}

export type Api = Client<paths>;

/**
 * The REST API's typed client: paths, parameters and bodies come from openapi.yaml's generated
 * types, so rotctl cannot drift from the contract. A connection failure says which setting to check.
 */
export function apiClient(baseUrl: string, token: string | undefined): Api {
  return createClient<paths>({
    baseUrl,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: async (request) => {
      try {
        return await fetch(request, { signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
        throw new Error(`cannot reach the API at ${baseUrl} (${cause}): is it running? (npm start) Set RCP_API_URL to its address`, { cause: err });
      }
    },
  });
}

/** The body of a successful answer, or the problem as an ApiError. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ApiError(response.status, (error ?? {}) as Partial<Problem>);
  return data as T;
}

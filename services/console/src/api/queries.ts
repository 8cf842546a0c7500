import { useQuery } from '@tanstack/react-query';
import type { SecretSummary } from '../../../../shared/contract/types.ts';
import { api, ok } from './client.ts';

/** Every page of the team's secrets (the API pages at most 100 at a time). */
export async function allSecrets(query: { onboarded?: boolean } = {}): Promise<SecretSummary[]> {
  const items: SecretSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ok(api.GET('/v1/secrets', { params: { query: { ...query, limit: 100, ...(nextToken ? { nextToken } : {}) } } }));
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

export const useSecrets = (query: { onboarded?: boolean } = {}) => useQuery({ queryKey: ['secrets', query], queryFn: () => allSecrets(query) });

export const useServiceTypes = () =>
  useQuery({ queryKey: ['service-types'], queryFn: async () => (await ok(api.GET('/v1/service-types'))).items, staleTime: Infinity });

/** The problem's message for one field of a request (its JSON pointer, e.g. `/schedule`). */
export function fieldError(error: unknown, path: string): string | undefined {
  const problem = (error as { problem?: { errors?: { path: string; message: string }[]; detail?: string } } | undefined)?.problem;
  return problem?.errors?.find((e) => e.path === path || e.path.startsWith(`${path}/`))?.message;
}

import type { OnboardingRequest, OnboardingStatus } from '../../../shared/contract/types.ts';
import type { IdempotentCreate } from '../app.ts';
import type { ApiDeps } from '../deps.ts';
import { callerOf, json, param, query, type Route } from '../http.ts';
import { getOnboarding, listOnboardings, offboard } from '../onboardings.ts';

export function onboardingRoutes(deps: ApiDeps, createOnboarding: IdempotentCreate): Record<string, Route> {
  return {
    createOnboarding: async (c) => {
      const caller = callerOf(c);
      const view = await createOnboarding({ team: caller.team, idempotencyKey: String(c.request.headers['idempotency-key']), caller, request: c.request.requestBody as OnboardingRequest });
      return json(202, view, { location: view.links!.self! });
    },
    listOnboardings: async (c) => {
      const q = query(c);
      return json(200, await listOnboardings(deps, callerOf(c), { status: q.status as OnboardingStatus | undefined, account: q.account, region: q.region, limit: q.limit ? Number(q.limit) : undefined, nextToken: q.nextToken }));
    },
    getOnboarding: async (c) => json(200, await getOnboarding(deps, callerOf(c), param(c, 'onboardingId'))),
    offboard: async (c) => json(202, await offboard(deps, callerOf(c), param(c, 'onboardingId'))),
  };
}

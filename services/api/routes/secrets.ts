import { serviceTypeCatalog } from '../../rotator/catalog.ts';
import type { ApiDeps } from '../deps.ts';
import type { SchedulePreviewRequest } from '../../../shared/contract/types.ts';
import { callerOf, json, param, query, type Route } from '../http.ts';
import { servedAccounts } from '../accounts.ts';
import { previewSchedule } from '../schedules.ts';
import { listTeamSecrets } from '../team-secrets.ts';
import { getRotation, rotateNow } from '../secrets.ts';
import { listSecretEvents } from '../secret-events.ts';

export function secretRoutes(deps: ApiDeps): Record<string, Route> {
  return {
    // Path parameters arrive decoded once by the router: never decode them again.
    rotateNow: async (c) => json(202, await rotateNow(deps, callerOf(c), param(c, 'secretId'))),
    getRotation: async (c) => json(200, await getRotation(deps, callerOf(c), param(c, 'secretId'))),
    listSecretEvents: async (c) => {
      const q = query(c);
      return json(200, await listSecretEvents(deps, callerOf(c), param(c, 'secretId'), { limit: q.limit ? Number(q.limit) : undefined, nextToken: q.nextToken }));
    },
    listSecrets: async (c) => {
      const q = query(c);
      return json(200, await listTeamSecrets(deps, callerOf(c), { account: q.account, region: q.region, onboarded: q.onboarded === undefined ? undefined : String(q.onboarded) === 'true', namePrefix: q.namePrefix, limit: q.limit ? Number(q.limit) : undefined, nextToken: q.nextToken }));
    },
    previewSchedule: (c) => json(200, previewSchedule(deps, c.request.requestBody as SchedulePreviewRequest)),
    listAccounts: () => json(200, { items: servedAccounts(deps) }),
    listServiceTypes: () => json(200, { items: serviceTypeCatalog() }),
    getHealth: () => json(200, { status: 'ok' }),
  };
}

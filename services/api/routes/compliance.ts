import type { OnboardingBatchRequest, RemediationRequest } from '../../../shared/contract/types.ts';
import type { FindingState, RuleId } from '../../compliance/rules.ts';
import type { IdempotentCreate } from '../app.ts';
import { complianceRules, complianceSummary, exportFindings, getEvaluation, listFindings, secretCompliance, startEvaluation, type ComplianceFilter } from '../compliance.ts';
import type { ApiDeps } from '../deps.ts';
import { callerOf, json, param, query, type Route } from '../http.ts';
import { onboardBatch, remediateFinding } from '../remediation.ts';

const filterOf = (q: Record<string, string | undefined>): ComplianceFilter => ({
  ...(q.account ? { account: q.account } : {}),
  ...(q.region ? { region: q.region } : {}),
  ...(q.team ? { team: q.team } : {}),
  ...(q.rule ? { rule: q.rule as RuleId } : {}),
  ...(q.state ? { state: q.state as FindingState } : {}),
});

export function complianceRoutes(deps: ApiDeps, createOnboarding: IdempotentCreate): Record<string, Route> {
  return {
    listComplianceRules: (c) => json(200, complianceRules(deps, callerOf(c))),
    getComplianceSummary: async (c) => json(200, await complianceSummary(deps, callerOf(c), filterOf(query(c)))),
    listFindings: async (c) => {
      const q = query(c);
      return json(200, await listFindings(deps, callerOf(c), filterOf(q), { limit: q.limit ? Number(q.limit) : undefined, nextToken: q.nextToken }));
    },
    exportFindings: async (c) => {
      const q = query(c);
      const { contentType, body } = await exportFindings(deps, callerOf(c), filterOf(q), q.format as 'csv' | 'json' | 'asff');
      return { statusCode: 200, headers: { 'content-type': contentType, 'content-disposition': `attachment; filename="findings.${q.format === 'csv' ? 'csv' : 'json'}"` }, body };
    },
    getSecretCompliance: async (c) => json(200, await secretCompliance(deps, callerOf(c), param(c, 'secretId'))),
    startEvaluation: async (c) => {
      const evaluation = await startEvaluation(deps, callerOf(c));
      return json(202, evaluation, { location: `/v1/compliance/evaluations/${evaluation.evaluationId}` });
    },
    getEvaluation: async (c) => json(200, await getEvaluation(deps, param(c, 'evaluationId'))),
    remediateFinding: async (c) => {
      const view = await remediateFinding(deps, createOnboarding, callerOf(c), param(c, 'findingId'), String(c.request.headers['idempotency-key']), c.request.requestBody as RemediationRequest);
      return json(202, view, { location: view.links!.self! });
    },
    createOnboardingBatch: async (c) => json(207, await onboardBatch(deps, createOnboarding, callerOf(c), String(c.request.headers['idempotency-key']), c.request.requestBody as OnboardingBatchRequest)),
  };
}

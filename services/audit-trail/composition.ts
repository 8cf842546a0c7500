import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { AuditTrail } from '../../shared/audit/audit-trail.ts';
import { AwsClients } from '../../shared/aws/clients.ts';
import { observability, type MetricsSink } from '../../shared/runtime/observability.ts';
import { auditTrailSettings, awsSettings, type Environment } from '../../shared/runtime/settings.ts';
import { recordAuditEvent, type DeliveredEvent } from './recorder.ts';

/** The audit trail recorder: the audit bus's rule delivers every product event; each goes to its secret's trail. */
export function createAuditTrailHandler(env: Environment, options: { metrics?: MetricsSink; now?: () => number } = {}) {
  const { logger, tracer } = observability('audit-trail', options.metrics);
  const clients = new AwsClients(awsSettings(env), (client) => tracer.captureAWSv3Client(client));
  const settings = auditTrailSettings(env);
  const trail = new AuditTrail(clients.dynamodb, settings.table, options.now);
  return middy<DeliveredEvent, unknown, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event) => {
      const result = await recordAuditEvent(event, { trail, retentionDays: settings.retentionDays });
      // Identifiers only: the detail itself carries no values, but the log needs none of it.
      const fields = { eventId: event.id, detailType: event['detail-type'], ...result };
      if (result.outcome === 'ignored') logger.warn('audit event not recorded', fields);
      else logger.info('audit event', fields);
      return result;
    });
}

import { z } from 'zod';
import { Timestamp, type Operation, type ServiceProvider } from '../../context.ts';
import { parseInput } from '../../validation.ts';
import type { RoleAssumer } from './assume-role.ts';

/** STS over the query protocol (as the SDK, the CLI and boto3 speak it) and JSON 1.0. */
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const assumeRoleInput = z.object({
  RoleArn: z.string().min(20).max(2048),
  RoleSessionName: z.string().min(2).max(64),
  // The query protocol carries numbers as text.
  DurationSeconds: z.coerce.number().int().optional(),
  ExternalId: z.string().min(2).max(1224).optional(),
  Policy: z.string().min(1).max(2048).optional(),
  SourceIdentity: z.string().optional(),
});

export function stsProvider(assumer: RoleAssumer): ServiceProvider {
  const operations: Record<string, Operation> = {
    GetCallerIdentity: {
      open: true,
      run: (_input, ctx) => ({ UserId: ctx.caller.kind === 'service' ? ctx.caller.service : ctx.caller.userId, Account: ctx.account, Arn: ctx.caller.arn }),
    },
    AssumeRole: {
      // Decided by the role's trust policy and the caller's own policies, inside the operation.
      open: true,
      async run(raw, ctx) {
        const input = parseInput(assumeRoleInput, raw, 'ValidationError');
        const session = await assumer.assume({
          caller: ctx.caller,
          roleArn: input.RoleArn,
          sessionName: input.RoleSessionName,
          durationSeconds: input.DurationSeconds,
          externalId: input.ExternalId,
          sessionPolicy: input.Policy,
          region: ctx.region,
        });
        return {
          Credentials: {
            AccessKeyId: session.accessKeyId,
            SecretAccessKey: session.secretAccessKey,
            SessionToken: session.sessionToken,
            Expiration: new Timestamp(session.expiresAt),
          },
          AssumedRoleUser: {
            AssumedRoleId: `${session.roleId}:${session.sessionName}`,
            Arn: `arn:aws:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
          },
          PackedPolicySize: input.Policy ? Math.min(100, Math.ceil(input.Policy.length / 20)) : undefined,
          SourceIdentity: input.SourceIdentity,
        };
      },
    },
  };
  return {
    name: 'sts',
    bindings: [
      { protocol: 'query', signingName: 'sts', xmlns: STS_XMLNS },
      { protocol: 'json', targetPrefix: 'AWSSecurityTokenServiceV20110615', contentType: 'application/x-amz-json-1.0' },
    ],
    operations,
    accessDenied: { code: 'AccessDenied', status: 403 },
  };
}

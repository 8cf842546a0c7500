import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RawResponse, StatusResponse, type AuthorizedResource, type Operation, type RequestContext, type ServiceProvider } from '../../context.ts';
import { AwsError } from '../../errors.ts';
import { parseInput } from '../../validation.ts';
import { evaluable, statementFor } from './permissions.ts';
import { FunctionRegistry, type FunctionRecord, type LambdaRuntime } from './functions.ts';

/** Lambda's REST-JSON operations that the product uses: permissions, invoke, and lookups. */

const addPermissionInput = z.object({
  FunctionName: z.string().min(1),
  StatementId: z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)'),
  Action: z.string().regex(/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/, 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])'),
  Principal: z.string().regex(/^[^\s]+$/),
  SourceArn: z.string().optional(),
  SourceAccount: z.string().regex(/^\d{12}$/, 'Member must satisfy regular expression pattern: \\d{12}').optional(),
  EventSourceToken: z.string().optional(),
  PrincipalOrgID: z.string().optional(),
  RevisionId: z.string().optional(),
});
const functionInput = z.object({ FunctionName: z.string().min(1) });
const removePermissionInput = z.object({ FunctionName: z.string().min(1), StatementId: z.string().min(1), RevisionId: z.string().optional() });
const invokeInput = z.object({ FunctionName: z.string().min(1), InvocationType: z.enum(['RequestResponse', 'Event', 'DryRun']).optional(), Payload: z.instanceof(Buffer).optional() });

function policyDocument(record: FunctionRecord): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: record.statements });
}

function checkRevision(record: FunctionRecord, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== record.revisionId) {
    throw new AwsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id', 412);
  }
}

function configuration(record: FunctionRecord) {
  return {
    FunctionName: record.name,
    FunctionArn: record.arn,
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Timeout: record.timeoutSeconds,
    MemorySize: 512,
    Role: record.role,
    Environment: record.environment ? { Variables: record.environment } : undefined,
    LastModified: new Date(record.lastModified).toISOString().replace('Z', '+0000'),
    Version: '$LATEST',
    State: 'Active',
    PackageType: 'Zip',
    RevisionId: record.revisionId,
  };
}

export function lambdaProvider(runtime: LambdaRuntime): ServiceProvider {
  const home = (ctx: RequestContext) => ({ account: ctx.account, region: ctx.region });
  /** IAM's view of a call on one function: its ARN, owner and resource policy. */
  const onFunction = (input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] => {
    const name = typeof input.FunctionName === 'string' ? decodeURIComponent(input.FunctionName) : '';
    const record = runtime.find(name, home(ctx));
    const arn = record?.arn ?? (name.startsWith('arn:') ? name : `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${name}`);
    return [{ arn, account: arn.split(':')[4] ?? ctx.account, policy: record ? evaluable(record.statements) : undefined }];
  };
  const write = async (record: FunctionRecord, ctx: RequestContext) => {
    const located = runtime.locate(record.arn, home(ctx))!;
    located.registry.changed(record);
    await located.registry.commit();
  };

  const operations: Record<string, Operation> = {
    Invoke: {
      action: 'lambda:InvokeFunction',
      resources: onFunction,
      async run(raw, ctx) {
        const input = parseInput(invokeInput, raw);
        const record = runtime.require(input.FunctionName, home(ctx));
        let event: unknown = null;
        if (input.Payload?.length) {
          try {
            event = JSON.parse(input.Payload.toString('utf8'));
          } catch {
            throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the payload is not valid JSON.', 400);
          }
        }
        if (input.InvocationType === 'DryRun') return new StatusResponse(204, undefined);
        if (input.InvocationType === 'Event') {
          void runtime.invoke(record.arn, event, home(ctx));
          return new StatusResponse(202, undefined);
        }
        const result = await runtime.invoke(record.arn, event, home(ctx));
        return new RawResponse(
          200,
          {
            'content-type': 'application/json',
            'x-amz-executed-version': '$LATEST',
            ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
          },
          JSON.stringify(result.payload),
        );
      },
    },

    AddPermission: {
      resources: onFunction,
      async run(raw, ctx) {
        const input = parseInput(addPermissionInput, raw);
        const record = runtime.require(input.FunctionName, home(ctx));
        checkRevision(record, input.RevisionId);
        if (record.statements.some((s) => s.Sid === input.StatementId)) {
          throw new AwsError(
            'ResourceConflictException',
            `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
            409,
          );
        }
        const statement = statementFor(input, record.arn);
        record.statements.push(statement);
        record.revisionId = randomUUID();
        await write(record, ctx);
        return new StatusResponse(201, { Statement: JSON.stringify(statement) });
      },
    },

    GetPolicy: {
      resources: onFunction,
      run(raw, ctx) {
        const record = runtime.require(parseInput(functionInput, raw).FunctionName, home(ctx));
        if (record.statements.length === 0) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        return { Policy: policyDocument(record), RevisionId: record.revisionId };
      },
    },

    RemovePermission: {
      resources: onFunction,
      async run(raw, ctx) {
        const input = parseInput(removePermissionInput, raw);
        const record = runtime.require(input.FunctionName, home(ctx));
        checkRevision(record, input.RevisionId);
        if (!record.statements.some((s) => s.Sid === input.StatementId)) {
          throw new AwsError('ResourceNotFoundException', `Statement ${input.StatementId} is not found in resource policy.`, 404);
        }
        record.statements = record.statements.filter((s) => s.Sid !== input.StatementId);
        record.revisionId = randomUUID();
        await write(record, ctx);
        return new StatusResponse(204, undefined);
      },
    },

    GetFunction: {
      resources: onFunction,
      run(raw, ctx) {
        const record = runtime.require(parseInput(functionInput, raw).FunctionName, home(ctx));
        return { Configuration: configuration(record), Code: { RepositoryType: 'S3' } };
      },
    },

    ListFunctions: {
      run: (_raw, ctx) => ({ Functions: FunctionRegistry.of(ctx.scope).list().map(configuration) }),
    },
  };

  return {
    name: 'lambda',
    bindings: [
      {
        protocol: 'rest-json',
        routes: [
          { method: 'POST', path: '/2015-03-31/functions/:FunctionName/invocations', operation: 'Invoke', headers: { 'x-amz-invocation-type': 'InvocationType' }, body: { raw: 'Payload' } },
          { method: 'POST', path: '/2015-03-31/functions/:FunctionName/policy', operation: 'AddPermission', body: 'json' },
          { method: 'GET', path: '/2015-03-31/functions/:FunctionName/policy', operation: 'GetPolicy' },
          { method: 'DELETE', path: '/2015-03-31/functions/:FunctionName/policy/:StatementId', operation: 'RemovePermission', query: { RevisionId: 'RevisionId' } },
          { method: 'GET', path: '/2015-03-31/functions/:FunctionName', operation: 'GetFunction' },
          { method: 'GET', path: '/2015-03-31/functions/', operation: 'ListFunctions' },
        ],
      },
    ],
    operations,
    accessDenied: { code: 'AccessDeniedException', status: 403 },
  };
}

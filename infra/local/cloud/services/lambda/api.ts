import { z } from 'zod';
import { AwsError } from '../../errors.ts';
import type { ServiceContext } from '../../context.ts';
import { parseInput } from '../../validation.ts';
import type { LambdaFunctions, FunctionRecord } from './functions.ts';
import { statementFor } from './permissions.ts';
import { randomUUID } from 'node:crypto';

/** Lambda's REST-JSON operations that the product uses: permissions, invoke, and lookups. */

const addPermissionInput = z.object({
  StatementId: z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)'),
  Action: z.string().regex(/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/, 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])'),
  Principal: z.string().regex(/^[^\s]+$/),
  SourceArn: z.string().optional(),
  SourceAccount: z.string().regex(/^\d{12}$/, 'Member must satisfy regular expression pattern: \\d{12}').optional(),
  EventSourceToken: z.string().optional(),
  PrincipalOrgID: z.string().optional(),
  RevisionId: z.string().optional(),
});

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
    LastModified: new Date(record.lastModified).toISOString().replace('Z', '+0000'),
    Version: '$LATEST',
    State: 'Active',
    PackageType: 'Zip',
    RevisionId: record.revisionId,
  };
}

export function lambdaOperations(functions: LambdaFunctions, ctx: ServiceContext) {
  return {
    AddPermission(name: string, body: unknown): { status: number; body: unknown } {
      const record = functions.require(name);
      const input = parseInput(addPermissionInput, body);
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
      return { status: 201, body: { Statement: JSON.stringify(statement) } };
    },

    GetPolicy(name: string): { status: number; body: unknown } {
      const record = functions.require(name);
      if (record.statements.length === 0) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
      return { status: 200, body: { Policy: policyDocument(record), RevisionId: record.revisionId } };
    },

    RemovePermission(name: string, statementId: string, revisionId: string | undefined): { status: number; body: unknown } {
      const record = functions.require(name);
      checkRevision(record, revisionId);
      if (!record.statements.some((s) => s.Sid === statementId)) {
        throw new AwsError('ResourceNotFoundException', `Statement ${statementId} is not found in resource policy.`, 404);
      }
      record.statements = record.statements.filter((s) => s.Sid !== statementId);
      record.revisionId = randomUUID();
      return { status: 204, body: undefined };
    },

    GetFunction(name: string): { status: number; body: unknown } {
      const record = functions.require(name);
      return { status: 200, body: { Configuration: configuration(record), Code: { RepositoryType: 'S3' } } };
    },

    ListFunctions(): { status: number; body: unknown } {
      return { status: 200, body: { Functions: ctx.state.functions.map(configuration) } };
    },
  };
}

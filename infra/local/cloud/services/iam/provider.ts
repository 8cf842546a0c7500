import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import { Timestamp, type AuthorizedResource, type Operation, type RequestContext, type ServiceProvider } from '../../context.ts';
import { AwsError } from '../../errors.ts';
import type { Scopes } from '../../scopes.ts';
import { decodeNextToken, encodeNextToken, parseInput } from '../../validation.ts';
import { IamRoles, type RoleRecord } from './roles.ts';

/** IAM roles and their inline policies, over the query protocol as @aws-sdk/client-iam speaks it. */
export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
const policyName = z.string().regex(/^[\w+=,.@-]{1,128}$/, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
const document = z.string().min(1).max(131_072);
const path = z.string().regex(/^\/([\x21-\x7e]*\/)?$/, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)');
const paging = { Marker: z.string().optional(), MaxItems: z.coerce.number().int().min(1).max(1000).optional() };

const shapes = {
  CreateRole: z.object({
    RoleName: roleName,
    AssumeRolePolicyDocument: document,
    Path: path.optional(),
    Description: z.string().max(1000).optional(),
    MaxSessionDuration: z.coerce.number().int().min(3600).max(43_200).optional(),
    Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(50).optional(),
  }),
  RoleName: z.object({ RoleName: roleName }),
  ListRoles: z.object({ PathPrefix: z.string().optional(), ...paging }),
  PutRolePolicy: z.object({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
  UpdateAssumeRolePolicy: z.object({ RoleName: roleName, PolicyDocument: document }),
  RolePolicy: z.object({ RoleName: roleName, PolicyName: policyName }),
  ListRolePolicies: z.object({ RoleName: roleName, ...paging }),
};

/** IAM hands policy documents back URL-encoded, as the real service does. */
function roleView(role: RoleRecord) {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: role.arn,
    CreateDate: new Timestamp(role.created),
    AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: role.tags.length ? role.tags : undefined,
  };
}

function page<T>(items: T[], marker: string | undefined, maxItems: number | undefined) {
  const start = decodeNextToken(marker);
  const limit = maxItems ?? 100;
  const more = start + limit < items.length;
  return { items: items.slice(start, start + limit), IsTruncated: more, Marker: more ? encodeNextToken(start + limit) : undefined };
}

export function iamProvider(scopes: Scopes, clock: Clock): ServiceProvider {
  const roles = async (ctx: RequestContext) => IamRoles.of(await scopes.accountWide(ctx.account));
  const parse = <S extends z.ZodType>(schema: S, raw: unknown) => parseInput(schema, raw, 'ValidationError');
  const onRole = async (input: Record<string, unknown>, ctx: RequestContext): Promise<AuthorizedResource[]> => {
    const name = String(input.RoleName ?? '');
    const role = (await roles(ctx)).find(name);
    return [{ arn: role?.arn ?? `arn:aws:iam::${ctx.account}:role${typeof input.Path === 'string' ? input.Path : '/'}${name}`, account: ctx.account }];
  };
  const roleOp = (run: Operation['run']): Operation => ({ run, resources: onRole });

  const operations: Record<string, Operation> = {
    CreateRole: roleOp(async (raw, ctx) => {
      const input = parse(shapes.CreateRole, raw);
      const account = await roles(ctx);
      const role = account.create({
        name: input.RoleName,
        path: input.Path ?? '/',
        assumeRolePolicy: input.AssumeRolePolicyDocument,
        description: input.Description,
        maxSessionDuration: input.MaxSessionDuration ?? 3600,
        tags: input.Tags ?? [],
        now: clock.now(),
      });
      await account.commit();
      return { Role: roleView(role) };
    }),
    GetRole: roleOp(async (raw, ctx) => ({ Role: roleView((await roles(ctx)).require(parse(shapes.RoleName, raw).RoleName)) })),
    DeleteRole: roleOp(async (raw, ctx) => {
      const account = await roles(ctx);
      account.delete(parse(shapes.RoleName, raw).RoleName);
      await account.commit();
      return {};
    }),
    ListRoles: {
      async run(raw, ctx) {
        const input = parse(shapes.ListRoles, raw);
        const matching = (await roles(ctx)).list().filter((r) => !input.PathPrefix || r.path.startsWith(input.PathPrefix));
        const { items, ...rest } = page(matching, input.Marker, input.MaxItems);
        return { Roles: items.map(roleView), ...rest };
      },
    },
    PutRolePolicy: roleOp(async (raw, ctx) => {
      const input = parse(shapes.PutRolePolicy, raw);
      const account = await roles(ctx);
      account.putPolicy(account.require(input.RoleName), input.PolicyName, input.PolicyDocument);
      await account.commit();
      return {};
    }),
    UpdateAssumeRolePolicy: roleOp(async (raw, ctx) => {
      const input = parse(shapes.UpdateAssumeRolePolicy, raw);
      const account = await roles(ctx);
      account.updateTrust(account.require(input.RoleName), input.PolicyDocument);
      await account.commit();
      return {};
    }),
    GetRolePolicy: roleOp(async (raw, ctx) => {
      const input = parse(shapes.RolePolicy, raw);
      const role = (await roles(ctx)).require(input.RoleName);
      const text = role.policies[input.PolicyName];
      if (text === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`, 404);
      return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(text) };
    }),
    DeleteRolePolicy: roleOp(async (raw, ctx) => {
      const input = parse(shapes.RolePolicy, raw);
      const account = await roles(ctx);
      account.deletePolicy(account.require(input.RoleName), input.PolicyName);
      await account.commit();
      return {};
    }),
    ListRolePolicies: roleOp(async (raw, ctx) => {
      const input = parse(shapes.ListRolePolicies, raw);
      const role = (await roles(ctx)).require(input.RoleName);
      const { items, ...rest } = page(Object.keys(role.policies).sort(), input.Marker, input.MaxItems);
      return { PolicyNames: items, ...rest };
    }),
  };

  return {
    name: 'iam',
    bindings: [{ protocol: 'query', signingName: 'iam', xmlns: IAM_XMLNS }],
    operations,
    accessDenied: { code: 'AccessDenied', status: 403 },
  };
}

import { z } from 'zod';
import type { Operation, RequestContext, ServiceProvider } from '../../context.ts';
import { AwsError } from '../../errors.ts';
import type { Scopes } from '../../scopes.ts';
import { compact, decodeNextToken, encodeNextToken, parseInput } from '../../validation.ts';
import { Organization, type OrganizationConfig } from './organization.ts';

/** Organizations (JSON 1.1): what the configured organisation says about itself and its accounts. */

const notInUse = () => new AwsError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
const onlyManagement = () => new AwsError('AccessDeniedException', "You don't have permissions to access this resource.");

export function organizationsProvider(scopes: Scopes): ServiceProvider {
  const organization = async () => Organization.of(await scopes.cloud());
  /** The organisation of the caller's account, or the errors the service gives outside it. */
  const memberOf = async (ctx: RequestContext, managementOnly: boolean) => {
    const org = (await organization()).get();
    if (!org || !org.accounts.some((a) => a.id === ctx.account)) throw notInUse();
    if (managementOnly && ctx.account !== org.managementAccount) throw onlyManagement();
    return org;
  };
  const orgArn = (org: OrganizationConfig) => `arn:aws:organizations::${org.managementAccount}:organization/${org.id}`;
  const accountView = (org: OrganizationConfig & { joined: number }, account: OrganizationConfig['accounts'][number]) =>
    compact({
      Id: account.id,
      Arn: `arn:aws:organizations::${org.managementAccount}:account/${org.id}/${account.id}`,
      Email: account.email ?? `${account.id}@example.com`,
      Name: account.name,
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: account.id === org.managementAccount ? 'CREATED' : 'INVITED',
      JoinedTimestamp: org.joined / 1000,
    });

  const operations: Record<string, Operation> = {
    DescribeOrganization: {
      async run(_raw, ctx) {
        const org = await memberOf(ctx, false);
        const management = org.accounts.find((a) => a.id === org.managementAccount);
        return {
          Organization: {
            Id: org.id,
            Arn: orgArn(org),
            FeatureSet: 'ALL',
            MasterAccountArn: `arn:aws:organizations::${org.managementAccount}:account/${org.id}/${org.managementAccount}`,
            MasterAccountId: org.managementAccount,
            MasterAccountEmail: management?.email ?? `${org.managementAccount}@example.com`,
            AvailablePolicyTypes: [],
          },
        };
      },
    },
    ListAccounts: {
      async run(raw, ctx) {
        const input = parseInput(z.object({ MaxResults: z.number().int().min(1).max(20).optional(), NextToken: z.string().optional() }), raw);
        const org = await memberOf(ctx, true);
        const start = decodeNextToken(input.NextToken);
        const limit = input.MaxResults ?? 20;
        return compact({
          Accounts: org.accounts.slice(start, start + limit).map((a) => accountView(org, a)),
          NextToken: start + limit < org.accounts.length ? encodeNextToken(start + limit) : undefined,
        });
      },
    },
    DescribeAccount: {
      async run(raw, ctx) {
        const input = parseInput(z.object({ AccountId: z.string().regex(/^\d{12}$/, 'Member must satisfy regular expression pattern: ^\\d{12}$') }), raw);
        const org = await memberOf(ctx, true);
        const account = org.accounts.find((a) => a.id === input.AccountId);
        if (!account) throw new AwsError('AccountNotFoundException', "You specified an account that doesn't exist.");
        return { Account: accountView(org, account) };
      },
    },
  };
  return {
    name: 'organizations',
    bindings: [{ protocol: 'json', targetPrefix: 'AWSOrganizationsV20161128', contentType: 'application/x-amz-json-1.1' }],
    operations,
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}

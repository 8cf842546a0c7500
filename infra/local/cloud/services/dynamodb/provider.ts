import { RawResponse, type AuthorizedResource, type Operation, type RequestContext, type ServiceProvider } from '../../context.ts';
import { DynamoTables } from './tables.ts';

/** DynamoDB (JSON 1.0): every call goes whole to the caller's account-region's dynalite, once IAM has allowed it. */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'UpdateItem',
  'UpdateTable',
  'UpdateTimeToLive',
  'TransactGetItems',
  'TransactWriteItems',
];

function tables(input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] {
  const arn = (table: string, index?: unknown) =>
    `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${table}${typeof index === 'string' ? `/index/${index}` : ''}`;
  const names: string[] = [];
  if (typeof input.TableName === 'string') names.push(arn(input.TableName, input.IndexName));
  if (input.RequestItems && typeof input.RequestItems === 'object') for (const table of Object.keys(input.RequestItems)) names.push(arn(table));
  if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems as Array<Record<string, { TableName?: unknown }>>) {
      for (const action of Object.values(item ?? {})) if (typeof action?.TableName === 'string') names.push(arn(action.TableName));
    }
  }
  if (typeof input.ResourceArn === 'string') names.push(input.ResourceArn);
  return (names.length ? [...new Set(names)] : ['*']).map((a) => ({ arn: a, account: ctx.account }));
}

export function dynamoDbProvider(): ServiceProvider {
  const forward: Operation = {
    resources: tables,
    async run(_input, ctx) {
      const answer = await DynamoTables.of(ctx.scope).forward(ctx.raw.headers, ctx.raw.body);
      return new RawResponse(answer.status, answer.headers, answer.body);
    },
  };
  return {
    name: 'dynamodb',
    bindings: [{ protocol: 'json', targetPrefix: 'DynamoDB_20120810', contentType: 'application/x-amz-json-1.0' }],
    operations: Object.fromEntries(OPERATIONS.map((op) => [op, forward])),
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}

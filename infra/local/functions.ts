import type { BuiltinFunction } from './cloud/services/lambda/functions.ts';

export const FLEET_ROTATOR = 'fleet-rotator';

/**
 * The Lambda functions the embedded default runs inside the local cloud's process, as the rotator
 * stack deploys them on AWS: the fleet rotator, with the resource policy that lets Secrets Manager
 * of this account (and only this account) invoke it. Its code loads on the first invocation.
 */
export async function builtinFunctions(): Promise<BuiltinFunction[]> {
  return [
    {
      name: FLEET_ROTATOR,
      timeoutSeconds: 60,
      handler: async (event, context) => {
        const { handler } = await import('../../services/rotator/handler.ts');
        return handler(event, context as never);
      },
      defaultStatements: (functionArn, { account }) => [
        {
          Sid: 'SecretsManagerRotation',
          Effect: 'Allow',
          Principal: { Service: 'secretsmanager.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: functionArn,
          Condition: { StringEquals: { 'AWS:SourceAccount': account } },
        },
      ],
    },
  ];
}

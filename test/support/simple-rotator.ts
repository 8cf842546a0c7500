import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { FunctionEnv } from './test-function.ts';

export interface RotationEvent {
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  SecretId: string;
  ClientRequestToken: string;
  /** Set by Secrets Manager for every step; a cross-account rotation passes it back on PutSecretValue. */
  RotationToken?: string;
}

export interface RotatorOptions {
  /** The client each step uses (a cross-account function assumes a role in the secret's account first). */
  client?: (event: RotationEvent, env: FunctionEnv) => Promise<SecretsManagerClient>;
  /** The RotationToken to pass on PutSecretValue; none by default. */
  rotationToken?: (event: RotationEvent) => string | undefined;
}

/**
 * A minimal rotation function that follows the step protocol of AWS's templates against the
 * local cloud's Secrets Manager, with no target service: it lets the conformance tests drive the
 * service's rotation machinery. `failures` makes a step throw a given number of times.
 */
export function simpleRotator(sm: SecretsManagerClient, failures: Partial<Record<RotationEvent['Step'], number>> = {}, options: RotatorOptions = {}) {
  const calls: string[] = [];
  const handler = async (raw: unknown, env: FunctionEnv = {}) => {
    const event = raw as RotationEvent;
    const { Step, SecretId, ClientRequestToken: token } = event;
    calls.push(Step);
    const remaining = failures[Step] ?? 0;
    if (remaining > 0) {
      failures[Step] = remaining - 1;
      throw Object.assign(new Error(`${Step} failed on purpose`), { name: 'TestFailure' });
    }
    const client = options.client ? await options.client(event, env) : sm;
    const described = await client.send(new DescribeSecretCommand({ SecretId }));
    const stages = described.VersionIdsToStages?.[token];
    if (!described.RotationEnabled) throw new Error('rotation is not enabled');
    if (!stages) throw new Error(`version ${token} has no stage`);
    if (stages.includes('AWSCURRENT')) return;
    if (!stages.includes('AWSPENDING')) throw new Error(`version ${token} is not pending`);
    if (Step === 'createSecret') {
      try {
        await client.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
        return;
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
      }
      const current = await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
      const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ ExcludeCharacters: '/@"\'\\' }));
      const value = { ...(JSON.parse(current.SecretString ?? '{}') as object), password: RandomPassword };
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: JSON.stringify(value),
          VersionStages: ['AWSPENDING'],
          RotationToken: options.rotationToken?.(event),
        }),
      );
    } else if (Step === 'finishSecret') {
      const currentVersion = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
      await client.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: currentVersion }));
    }
    return null;
  };
  return { handler, calls };
}

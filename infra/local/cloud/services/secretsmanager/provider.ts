import { RawResponse, type AuthorizedResource, type Operation, type RequestContext, type ServiceProvider } from '../../context.ts';
import type { Scope, Scopes } from '../../scopes.ts';
import { compact, epochSeconds, parseInput } from '../../validation.ts';
import { resourcePolicy, type SecretsManagerBackend } from './backend.ts';
import type { SecretRecord } from './model.ts';
import { randomPassword } from './random-password.ts';
import { describeSecretJson, nameAndArn, secretValue, versionEntry } from './responses.ts';
import type { RotationEngine } from './rotation-engine.ts';
import { shapes } from './shapes.ts';

/**
 * Secrets Manager over JSON 1.1: validates each input, finds the account-region holding the
 * secret (a full ARN may name another account), calls the backend, waits until its changes are
 * durable, and shapes the answer.
 */
export interface SecretsManagerProviderDeps {
  scopes: Scopes;
  backendOf(scope: Scope): SecretsManagerBackend;
  rotation: RotationEngine;
  now(): number;
}

const SECRET_ARN = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:/;

export function secretsManagerProvider(deps: SecretsManagerProviderDeps): ServiceProvider {
  /** The backend a SecretId points into: the caller's, or the account a full ARN names. */
  const locate = (secretId: unknown, ctx: RequestContext): SecretsManagerBackend | undefined => {
    const arn = typeof secretId === 'string' ? SECRET_ARN.exec(secretId) : null;
    if (!arn || (arn[2] === ctx.account && arn[1] === ctx.region)) return deps.backendOf(ctx.scope);
    if (arn[1] !== ctx.region) return undefined;
    const scope = deps.scopes.openRegion(arn[2]!, arn[1]);
    return scope && deps.backendOf(scope);
  };
  const target = (secretId: string, ctx: RequestContext): SecretsManagerBackend => {
    const backend = locate(secretId, ctx);
    // Another account that has never been used holds no secrets: the service's "not found".
    return backend ?? deps.backendOf(ctx.scope);
  };

  const tagsOf = (secret: SecretRecord | undefined) => (secret ? Object.fromEntries(secret.tags.map((t) => [t.Key, t.Value])) : undefined);

  /** IAM's view of a call on one secret: its ARN, owner, tags and resource policy. */
  const onSecret = (input: Record<string, unknown>, ctx: RequestContext): AuthorizedResource[] => {
    const id = typeof input.SecretId === 'string' ? input.SecretId : '';
    const backend = locate(id, ctx);
    const secret = backend?.find(id);
    const named = SECRET_ARN.exec(id);
    return [
      {
        arn: secret?.arn ?? (named ? id : `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${id}`),
        account: secret ? backend!.account : (named?.[2] ?? ctx.account),
        tags: tagsOf(secret),
        policy: secret ? resourcePolicy(secret) : undefined,
      },
    ];
  };
  const secretOp = (run: Operation['run'], extra: Partial<Operation> = {}): Operation => ({ run, resources: onSecret, ...extra });

  const json = (body: string) => new RawResponse(200, { 'content-type': 'application/x-amz-json-1.1' }, body);

  /**
   * A secret as ListSecrets shows it, as JSON, kept until the secret changes (or its next window
   * or the day does): a page is then a hundred cached strings joined, which is what lets a fleet
   * inventory page through 100,000 secrets quickly.
   */
  const listed = new WeakMap<SecretRecord, { revision: number; windowEnd: number | undefined; day: number; json: string }>();
  const listEntry = (backend: SecretsManagerBackend, secret: SecretRecord, now: number, day: number): string => {
    const window = secret.rotation.enabled ? deps.rotation.window(secret, now) : undefined;
    const revision = backend.secrets.revision(secret);
    const cached = listed.get(secret);
    if (cached && cached.revision === revision && cached.windowEnd === window?.end && cached.day === day) return cached.json;
    const entry = describeSecretJson(secret, 'SecretVersionsToStages', window, now);
    listed.set(secret, { revision, windowEnd: window?.end, day, json: entry });
    return entry;
  };

  const operations: Record<string, Operation> = {
    CreateSecret: {
      conditionKeys: (raw) => requestTagKeys(raw.Tags),
      resources: (input, ctx) => [
        {
          arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${String(input.Name)}-??????`,
          account: ctx.account,
        },
      ],
      async run(raw, ctx) {
        const backend = deps.backendOf(ctx.scope);
        const { secret, version } = backend.createSecret(parseInput(shapes.CreateSecret, raw));
        await backend.commit();
        return compact({ ...nameAndArn(secret), VersionId: version?.id });
      },
    },

    DescribeSecret: secretOp((raw, ctx) => {
      const input = parseInput(shapes.DescribeSecret, raw);
      const backend = target(input.SecretId, ctx);
      const secret = backend.require(input.SecretId);
      const now = deps.now();
      return json(describeSecretJson(secret, 'VersionIdsToStages', secret.rotation.enabled ? deps.rotation.window(secret, now) : undefined, now));
    }),

    GetSecretValue: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.GetSecretValue, raw);
      const backend = target(input.SecretId, ctx);
      const { secret, version } = backend.getSecretValue(input);
      await backend.commit();
      return secretValue(secret, version);
    }),

    PutSecretValue: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.PutSecretValue, raw);
      const backend = target(input.SecretId, ctx);
      const { secret, version } = backend.putSecretValue(input, ctx.caller);
      await backend.commit();
      return { ...nameAndArn(secret), VersionId: version.id, VersionStages: [...version.stages] };
    }),

    UpdateSecret: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.UpdateSecret, raw);
      const backend = target(input.SecretId, ctx);
      const { secret, version } = backend.updateSecret(input);
      await backend.commit();
      return compact({ ...nameAndArn(secret), VersionId: version?.id });
    }),

    UpdateSecretVersionStage: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.UpdateSecretVersionStage, raw);
      const backend = target(input.SecretId, ctx);
      const secret = backend.updateSecretVersionStage(input);
      await backend.commit();
      return nameAndArn(secret);
    }),

    ListSecrets: {
      run(raw, ctx) {
        const backend = deps.backendOf(ctx.scope);
        const { page, nextToken } = backend.listSecrets(parseInput(shapes.ListSecrets, raw));
        const now = deps.now();
        const day = Math.floor(now / 86_400_000);
        return json(`{"SecretList":[${page.map((s) => listEntry(backend, s, now, day)).join(',')}]${nextToken ? `,"NextToken":${JSON.stringify(nextToken)}` : ''}}`);
      },
    },

    ListSecretVersionIds: secretOp((raw, ctx) => {
      const input = parseInput(shapes.ListSecretVersionIds, raw);
      const { secret, page, nextToken } = target(input.SecretId, ctx).listSecretVersionIds(input);
      return compact({ Versions: page.map(versionEntry), NextToken: nextToken, ...nameAndArn(secret) });
    }),

    GetRandomPassword: { run: (raw) => ({ RandomPassword: randomPassword(parseInput(shapes.GetRandomPassword, raw)) }) },

    TagResource: secretOp(
      async (raw, ctx) => {
        const input = parseInput(shapes.TagResource, raw);
        const backend = target(input.SecretId, ctx);
        backend.tagResource(input);
        await backend.commit();
        return {};
      },
      { conditionKeys: (raw) => requestTagKeys(raw.Tags) },
    ),

    UntagResource: secretOp(
      async (raw, ctx) => {
        const input = parseInput(shapes.UntagResource, raw);
        const backend = target(input.SecretId, ctx);
        backend.untagResource(input);
        await backend.commit();
        return {};
      },
      { conditionKeys: (raw) => ({ 'aws:TagKeys': stringList(raw.TagKeys) }) },
    ),

    GetResourcePolicy: secretOp((raw, ctx) => {
      const input = parseInput(shapes.GetResourcePolicy, raw);
      const secret = target(input.SecretId, ctx).live(input.SecretId);
      return compact({ ...nameAndArn(secret), ResourcePolicy: secret.policy });
    }),

    PutResourcePolicy: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.PutResourcePolicy, raw);
      const backend = target(input.SecretId, ctx);
      const secret = backend.putResourcePolicy(input);
      await backend.commit();
      return nameAndArn(secret);
    }),

    DeleteResourcePolicy: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.DeleteResourcePolicy, raw);
      const backend = target(input.SecretId, ctx);
      const secret = backend.deleteResourcePolicy(input);
      await backend.commit();
      return nameAndArn(secret);
    }),

    DeleteSecret: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.DeleteSecret, raw);
      const backend = target(input.SecretId, ctx);
      const deleted = backend.deleteSecret(input);
      await backend.commit();
      return compact({ ARN: deleted.arn, Name: deleted.name, DeletionDate: epochSeconds(deleted.deletionDate) });
    }),

    RestoreSecret: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.RestoreSecret, raw);
      const backend = target(input.SecretId, ctx);
      const secret = backend.restoreSecret(input);
      await backend.commit();
      return nameAndArn(secret);
    }),

    RotateSecret: secretOp(
      async (raw, ctx) => {
        const input = parseInput(shapes.RotateSecret, raw);
        const { secret, versionId } = await target(input.SecretId, ctx).rotateSecret(input);
        return compact({ ...nameAndArn(secret), VersionId: versionId });
      },
      {
        // Configuring rotation also takes the right to invoke the function (as the service checks).
        resources: (input, ctx) => {
          const secret = onSecret(input, ctx);
          const fn = typeof input.RotationLambdaARN === 'string' && /^arn:aws:lambda:[a-z0-9-]+:(\d{12}):function:/.exec(input.RotationLambdaARN);
          return fn ? [...secret, { arn: input.RotationLambdaARN as string, account: fn[1]!, action: 'lambda:InvokeFunction', identityOnly: true }] : secret;
        },
      },
    ),

    CancelRotateSecret: secretOp(async (raw, ctx) => {
      const input = parseInput(shapes.CancelRotateSecret, raw);
      const backend = target(input.SecretId, ctx);
      const { secret, token } = backend.cancelRotateSecret(input);
      await backend.commit();
      return compact({ ...nameAndArn(secret), VersionId: token });
    }),
  };

  return {
    name: 'secretsmanager',
    bindings: [{ protocol: 'json', targetPrefix: 'secretsmanager', contentType: 'application/x-amz-json-1.1' }],
    operations,
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}

const stringList = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);

/** The tags a request sets, as IAM sees them: aws:TagKeys (a list) and aws:RequestTag/<key>. */
function requestTagKeys(tags: unknown): Record<string, string | string[] | undefined> {
  if (!Array.isArray(tags)) return {};
  const pairs = tags.filter((t): t is { Key: string; Value?: string } => typeof (t as { Key?: unknown })?.Key === 'string');
  return { 'aws:TagKeys': pairs.map((t) => t.Key), ...Object.fromEntries(pairs.map((t) => [`aws:RequestTag/${t.Key}`, t.Value ?? ''])) };
}

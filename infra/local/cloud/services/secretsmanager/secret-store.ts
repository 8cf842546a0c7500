import type { Scope } from '../../scopes.ts';
import type { SecretRecord, SecretVersion } from './model.ts';

/**
 * The secrets of one account-region: in memory, indexed by ARN, name and partial ARN, and
 * persisted record by record. A secret is stored as its metadata (`secret`) plus one record per
 * version (`secret-version`), so moving a label rewrites the two versions it touched, never the
 * hundred deprecated versions a long-rotated secret carries.
 */
type SecretMeta = Omit<SecretRecord, 'versions'> & { versionIds: string[] };

const SECRETS = 'secret';
const VERSIONS = 'secret-version';
const versionKey = (arn: string, id: string) => `${arn} ${id}`;

/** What can change on a stored version: its labels, its access day, and (once) its value. */
function fingerprint(v: SecretVersion): string {
  return `${v.stages.join(',')}|${v.lastAccessed ?? ''}|${v.secretString?.length ?? -1}|${v.secretBinary?.length ?? -1}`;
}

export class SecretStore {
  /** In creation order: ListSecrets' default order. */
  private readonly byArn = new Map<string, SecretRecord>();
  private readonly byName = new Map<string, SecretRecord>();
  private readonly byPartialArn = new Map<string, SecretRecord>();
  /** Per secret: the versions on disk and their fingerprints, to write only the ones that changed. */
  private readonly persisted = new WeakMap<SecretRecord, Map<string, string>>();
  /** Per secret: a number that changes with every change, for caches of what is derived from it. */
  private readonly revisions = new WeakMap<SecretRecord, number>();
  private ordered: SecretRecord[] | undefined;
  /** The secrets not scheduled for deletion, oldest first: what ListSecrets pages through by default. */
  private live: SecretRecord[] | undefined;
  private readonly deletedSeen = new WeakMap<SecretRecord, boolean>();

  constructor(private readonly scope: Scope) {
    const metas = scope.store.attach(SECRETS, () => this.metaEntries());
    const versions = scope.store.attach(VERSIONS, () => this.versionEntries());
    for (const raw of metas.values()) {
      const { versionIds, ...meta } = raw as SecretMeta;
      const secret: SecretRecord = { ...meta, versions: [] };
      const written = new Map<string, string>();
      for (const id of versionIds) {
        const version = versions.get(versionKey(secret.arn, id)) as SecretVersion | undefined;
        if (!version) continue;
        secret.versions.push(version);
        written.set(id, fingerprint(version));
      }
      this.persisted.set(secret, written);
      this.index(secret);
    }
  }

  /** Finds a secret by name, full ARN, or partial ARN (the ARN without its random suffix). */
  find(secretId: string): SecretRecord | undefined {
    if (!secretId.startsWith('arn:')) return this.byName.get(secretId);
    return this.byArn.get(secretId) ?? this.byPartialArn.get(secretId);
  }

  /** Every secret, oldest first (a shared array: do not change it). */
  all(): readonly SecretRecord[] {
    this.ordered ??= [...this.byArn.values()];
    return this.ordered;
  }

  /** The secrets not scheduled for deletion, oldest first (a shared array: do not change it). */
  notDeleted(): readonly SecretRecord[] {
    this.live ??= this.all().filter((s) => s.deletedDate === undefined);
    return this.live;
  }

  get size(): number {
    return this.byArn.size;
  }

  add(secret: SecretRecord): void {
    this.index(secret);
    this.persisted.set(secret, new Map());
    this.changed(secret);
  }

  remove(secret: SecretRecord): void {
    this.byArn.delete(secret.arn);
    this.byName.delete(secret.name);
    this.byPartialArn.delete(secret.arn.slice(0, -7));
    this.ordered = undefined;
    this.live = undefined;
    this.scope.store.delete(SECRETS, secret.arn);
    for (const id of this.persisted.get(secret)?.keys() ?? []) this.scope.store.delete(VERSIONS, versionKey(secret.arn, id));
    this.persisted.delete(secret);
  }

  revision(secret: SecretRecord): number {
    return this.revisions.get(secret) ?? 0;
  }

  /** Stages the secret's metadata and every version that changed since it was last staged. */
  changed(secret: SecretRecord): void {
    this.revisions.set(secret, this.revision(secret) + 1);
    if (this.byArn.get(secret.arn) !== secret) return;
    const deleted = secret.deletedDate !== undefined;
    if (this.deletedSeen.get(secret) !== deleted) {
      this.deletedSeen.set(secret, deleted);
      this.live = undefined;
    }
    const store = this.scope.store;
    store.put(SECRETS, secret.arn, () => (this.byArn.get(secret.arn) === secret ? meta(secret) : undefined));
    const written = this.persisted.get(secret)!;
    const present = new Set<string>();
    for (const version of secret.versions) {
      present.add(version.id);
      const print = fingerprint(version);
      if (written.get(version.id) === print) continue;
      written.set(version.id, print);
      store.put(VERSIONS, versionKey(secret.arn, version.id), () => version);
    }
    for (const id of written.keys()) {
      if (present.has(id)) continue;
      written.delete(id);
      store.delete(VERSIONS, versionKey(secret.arn, id));
    }
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }

  private index(secret: SecretRecord): void {
    this.byArn.set(secret.arn, secret);
    this.byName.set(secret.name, secret);
    this.byPartialArn.set(secret.arn.slice(0, -7), secret);
    this.deletedSeen.set(secret, secret.deletedDate !== undefined);
    this.ordered = undefined;
    this.live = undefined;
  }

  private *metaEntries(): Generator<[string, unknown]> {
    for (const secret of this.byArn.values()) yield [secret.arn, meta(secret)];
  }

  private *versionEntries(): Generator<[string, unknown]> {
    for (const secret of this.byArn.values()) for (const version of secret.versions) yield [versionKey(secret.arn, version.id), version];
  }
}

function meta(secret: SecretRecord): SecretMeta {
  const { versions, ...rest } = secret;
  return { ...rest, versionIds: versions.map((v) => v.id) };
}

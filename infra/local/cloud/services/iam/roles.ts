import { randomChars } from '../../random-ids.ts';
import { parsePolicy, PolicySyntaxError, type Statement } from '../../auth/policy-document.ts';
import { roleArn } from '../../auth/principals.ts';
import { AwsError } from '../../errors.ts';
import type { Scope } from '../../scopes.ts';

/** IAM roles of one account (IAM is global: one set per account, whatever the region). */
export interface RoleRecord {
  name: string;
  path: string;
  id: string;
  arn: string;
  created: number;
  description?: string;
  maxSessionDuration: number;
  assumeRolePolicy: string;
  tags: Array<{ Key: string; Value: string }>;
  /** Inline policies by name, as their documents were given. */
  policies: Record<string, string>;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** IAM's unique ids: a type prefix (AROA for roles, ASIA for session keys) and 16 characters. */
export function uniqueId(prefix: string, length = 16): string {
  return prefix + randomChars(ID_ALPHABET, length);
}

export const noSuchRole = (name: string) => new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);

export function malformedPolicy(err: unknown): never {
  if (err instanceof PolicySyntaxError) throw new AwsError('MalformedPolicyDocument', `Syntax errors in policy: ${err.message}.`, 400);
  throw err;
}

export class IamRoles {
  private readonly roles = new Map<string, RoleRecord>();
  /** Parsed documents, kept beside the records so each is parsed once. */
  private readonly trust = new WeakMap<RoleRecord, Statement[]>();
  private readonly permissions = new WeakMap<RoleRecord, Statement[]>();

  constructor(private readonly scope: Scope) {
    const loaded = scope.store.attach('role', () => this.roles.entries());
    // Role names are unique per account regardless of case, as in IAM.
    for (const record of loaded.values()) this.roles.set((record as RoleRecord).name.toLowerCase(), record as RoleRecord);
  }

  static of(scope: Scope): IamRoles {
    return scope.service('iam', (s) => new IamRoles(s));
  }

  get account(): string {
    return this.scope.account;
  }

  find(name: string): RoleRecord | undefined {
    return this.roles.get(name.toLowerCase());
  }

  require(name: string): RoleRecord {
    const role = this.find(name);
    if (!role) throw noSuchRole(name);
    return role;
  }

  list(): RoleRecord[] {
    return [...this.roles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  create(input: { name: string; path: string; assumeRolePolicy: string; description?: string; maxSessionDuration: number; tags: RoleRecord['tags']; now: number }): RoleRecord {
    if (this.find(input.name)) throw new AwsError('EntityAlreadyExists', `Role with name ${input.name} already exists.`, 409);
    try {
      parsePolicy(input.assumeRolePolicy, { requirePrincipal: true });
    } catch (err) {
      malformedPolicy(err);
    }
    const role: RoleRecord = {
      name: input.name,
      path: input.path,
      id: uniqueId('AROA', 17),
      arn: roleArn(this.account, input.name, input.path),
      created: input.now,
      description: input.description,
      maxSessionDuration: input.maxSessionDuration,
      assumeRolePolicy: input.assumeRolePolicy,
      tags: input.tags,
      policies: {},
    };
    this.roles.set(role.name.toLowerCase(), role);
    this.changed(role);
    return role;
  }

  delete(name: string): void {
    const role = this.require(name);
    if (Object.keys(role.policies).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    this.roles.delete(name.toLowerCase());
    this.scope.store.delete('role', role.name.toLowerCase());
  }

  putPolicy(role: RoleRecord, policyName: string, document: string): void {
    try {
      parsePolicy(document, { forbidPrincipal: true });
    } catch (err) {
      malformedPolicy(err);
    }
    role.policies[policyName] = document;
    this.permissions.delete(role);
    this.changed(role);
  }

  updateTrust(role: RoleRecord, document: string): void {
    try {
      parsePolicy(document, { requirePrincipal: true });
    } catch (err) {
      malformedPolicy(err);
    }
    role.assumeRolePolicy = document;
    this.trust.delete(role);
    this.changed(role);
  }

  deletePolicy(role: RoleRecord, policyName: string): void {
    if (role.policies[policyName] === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    delete role.policies[policyName];
    this.permissions.delete(role);
    this.changed(role);
  }

  trustStatements(role: RoleRecord): Statement[] {
    let statements = this.trust.get(role);
    if (!statements) this.trust.set(role, (statements = parsePolicy(role.assumeRolePolicy, { requirePrincipal: true })));
    return statements;
  }

  /** Every statement of the role's inline policies: what a session of the role may do. */
  permissionStatements(role: RoleRecord): Statement[] {
    let statements = this.permissions.get(role);
    if (!statements) this.permissions.set(role, (statements = Object.values(role.policies).flatMap((doc) => parsePolicy(doc))));
    return statements;
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }

  private changed(role: RoleRecord): void {
    this.scope.store.put('role', role.name.toLowerCase(), () => this.find(role.name));
  }
}

import { z } from 'zod';
import type { Scope } from '../../scopes.ts';

/**
 * The organisation the cloud's accounts belong to, as configured (option `organization`, or
 * `PUT /_local/organization`): Organizations answers from it and aws:PrincipalOrgID evaluates
 * against it.
 */
export const organizationSchema = z
  .object({
    id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id looks like o-exampleorgid (o- and 10 to 32 lower-case letters or digits)'),
    managementAccount: z.string().regex(/^\d{12}$/, 'an account id has 12 digits'),
    accounts: z
      .array(
        z
          .object({
            id: z.string().regex(/^\d{12}$/, 'an account id has 12 digits'),
            name: z.string().min(1).max(50),
            email: z.string().email().optional(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict()
  .transform((org) => ({
    ...org,
    // The management account is a member even when the list leaves it out.
    accounts: org.accounts.some((a) => a.id === org.managementAccount) ? org.accounts : [{ id: org.managementAccount, name: 'management' }, ...org.accounts],
  }));

export type OrganizationConfig = z.infer<typeof organizationSchema>;

export class Organization {
  private config: (OrganizationConfig & { joined: number }) | undefined;
  private members = new Set<string>();

  constructor(private readonly scope: Scope) {
    const loaded = scope.store.attach('organization', () => (this.config ? [['organization', this.config] as [string, unknown]] : []));
    this.apply(loaded.get('organization') as (OrganizationConfig & { joined: number }) | undefined);
  }

  static of(scope: Scope): Organization {
    return scope.service('organizations', (s) => new Organization(s));
  }

  get(): (OrganizationConfig & { joined: number }) | undefined {
    return this.config;
  }

  /** Replaces the organisation (undefined removes it); durable once `commit` resolves. */
  set(config: OrganizationConfig | undefined, now: number): void {
    this.apply(config && { ...config, joined: this.config?.joined ?? now });
    if (this.config) this.scope.store.put('organization', 'organization', () => this.config);
    else this.scope.store.delete('organization', 'organization');
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }

  /** The organisation id an account belongs to (aws:PrincipalOrgID), if any. */
  idOf(account: string): string | undefined {
    return this.members.has(account) ? this.config?.id : undefined;
  }

  private apply(config: (OrganizationConfig & { joined: number }) | undefined): void {
    this.config = config;
    this.members = new Set(config?.accounts.map((a) => a.id) ?? []);
  }
}

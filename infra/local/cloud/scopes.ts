import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordStore } from './storage/record-store.ts';

/**
 * Where state lives. AWS keeps most resources per account and region (secrets, buses, functions,
 * tables, state machines), some per account (IAM roles), and this emulation a little for the
 * whole cloud (the clock, the organisation, STS sessions). Each of these is a scope with its own
 * folder and record store:
 *
 *   <state dir>/cloud/                          clock, organisation, role sessions
 *   <state dir>/accounts/<account>/global/      IAM roles and their policies
 *   <state dir>/accounts/<account>/<region>/    secrets, functions, buses, and beside them
 *                                               events/<bus>.jsonl and dynamodb/ (dynalite)
 *
 * A service keeps its state for a scope in an object it creates once per scope (`scope.service`),
 * which reads its records from the scope's store and writes its changes back to it.
 */
export class Scope {
  private readonly services = new Map<string, unknown>();

  constructor(
    /** Empty for the cloud scope. */
    readonly account: string,
    /** `global` for account-wide state, empty for the cloud scope. */
    readonly region: string,
    readonly dir: string,
    readonly store: RecordStore,
  ) {}

  /** This scope's state of one service, created on first use. */
  service<T>(name: string, create: (scope: Scope) => T): T {
    let state = this.services.get(name) as T | undefined;
    if (state === undefined) {
      state = create(this);
      this.services.set(name, state);
    }
    return state;
  }

  /** Service states that need shutting down (DynamoDB's server) implement `close`. */
  async close(): Promise<void> {
    for (const state of this.services.values()) {
      const closable = state as { close?: () => Promise<void> };
      if (typeof closable.close === 'function') await closable.close();
    }
    await this.store.close();
  }
}

export const GLOBAL_REGION = 'global';
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isRegionName(name: string): boolean {
  return REGION.test(name);
}

export class Scopes {
  private readonly opened = new Map<string, Scope>();
  private readonly opening = new Map<string, Promise<Scope>>();

  constructor(
    private readonly root: string,
    /** Runs once for each region scope when it opens (services that must load eagerly). */
    private readonly onRegionOpen: (scope: Scope) => Promise<void> | void = () => undefined,
  ) {}

  /** The state of one account in one region, opened (and created) on first use. */
  region(account: string, region: string): Promise<Scope> {
    if (!ACCOUNT.test(account) || !REGION.test(region)) throw new Error(`not an account and region: ${account} ${region}`);
    return this.open(account, region, join(this.root, 'accounts', account, region), this.onRegionOpen);
  }

  /** An account's region-independent state (IAM). */
  accountWide(account: string): Promise<Scope> {
    if (!ACCOUNT.test(account)) throw new Error(`not an account: ${account}`);
    return this.open(account, GLOBAL_REGION, join(this.root, 'accounts', account, GLOBAL_REGION));
  }

  cloud(): Promise<Scope> {
    return this.open('', '', join(this.root, 'cloud'));
  }

  /** An open region scope, if any (synchronous, for the scheduler and lookups by ARN). */
  openRegion(account: string, region: string): Scope | undefined {
    return this.opened.get(`${account}/${region}`);
  }

  /** Every open account-region scope. */
  regions(): Scope[] {
    return [...this.opened.values()].filter((s) => s.account !== '' && s.region !== GLOBAL_REGION);
  }

  /** Opens every account-region scope found on disk, so the scheduler sees all of them from the start. */
  async openExisting(): Promise<void> {
    const accountsDir = join(this.root, 'accounts');
    for (const account of await listDir(accountsDir)) {
      if (!ACCOUNT.test(account)) continue;
      for (const region of await listDir(join(accountsDir, account))) {
        if (region === GLOBAL_REGION) await this.accountWide(account);
        else if (REGION.test(region)) await this.region(account, region);
      }
    }
  }

  async close(): Promise<void> {
    for (const scope of this.opened.values()) await scope.close();
    this.opened.clear();
  }

  private open(account: string, region: string, dir: string, onOpen?: (scope: Scope) => Promise<void> | void): Promise<Scope> {
    const key = `${account}/${region}`;
    const existing = this.opened.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = (async () => {
        const scope = new Scope(account, region, dir, await RecordStore.open(dir));
        await onOpen?.(scope);
        this.opened.set(key, scope);
        return scope;
      })().finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

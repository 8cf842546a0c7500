import { randomUUID } from 'node:crypto';
import { AwsError } from '../../errors.ts';
import type { Scope } from '../../scopes.ts';
import type { PolicyStatement } from './permissions.ts';

/**
 * Where a function's code runs: in this process (`builtin`), in a module this process imports,
 * or behind an HTTP endpoint that receives the event as a POST (a test double in another process;
 * it gets the function's environment, credentials included, in the `x-local-cloud-function-env`
 * header as base64 JSON).
 */
export type FunctionSource = { kind: 'builtin' } | { kind: 'module'; path: string; exportName: string } | { kind: 'url'; url: string };

export interface FunctionRecord {
  name: string;
  arn: string;
  source: FunctionSource;
  timeoutSeconds: number;
  role?: string;
  environment?: Record<string, string>;
  statements: PolicyStatement[];
  revisionId: string;
  lastModified: number;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The functions of one account-region. */
export class FunctionRegistry {
  private readonly functions = new Map<string, FunctionRecord>();

  constructor(readonly scope: Scope) {
    for (const [name, record] of scope.store.attach('function', () => this.functions.entries())) this.functions.set(name, record as FunctionRecord);
  }

  static of(scope: Scope): FunctionRegistry {
    return scope.service('lambda', (s) => new FunctionRegistry(s));
  }

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.scope.region}:${this.scope.account}:function:${name}`;
  }

  get(name: string): FunctionRecord | undefined {
    return this.functions.get(name);
  }

  list(): FunctionRecord[] {
    return [...this.functions.values()];
  }

  /** Creates or re-points a function; its resource policy stays. */
  upsert(name: string, fields: Pick<FunctionRecord, 'source' | 'timeoutSeconds' | 'role' | 'environment'>, now: number, statements: () => PolicyStatement[] = () => []): FunctionRecord {
    if (!FUNCTION_NAME.test(name)) throw new AwsError('InvalidParameterValueException', `Function name "${name}" is invalid.`);
    let record = this.functions.get(name);
    if (record) {
      Object.assign(record, fields, { lastModified: now });
    } else {
      const arn = this.arnOf(name);
      record = { name, arn, ...fields, statements: statements(), revisionId: randomUUID(), lastModified: now };
      this.functions.set(name, record);
    }
    this.changed(record);
    return record;
  }

  remove(name: string): boolean {
    const existed = this.functions.delete(name);
    if (existed) this.scope.store.delete('function', name);
    return existed;
  }

  changed(record: FunctionRecord): void {
    this.scope.store.put('function', record.name, () => this.functions.get(record.name));
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }
}


import type { Clock } from './clock.ts';
import type { SecretRecord } from './services/secretsmanager/model.ts';
import type { FunctionRecord } from './services/lambda/functions.ts';
import type { BusRecord } from './services/eventbridge/event-store.ts';

/** Everything the local cloud keeps across a restart. */
export interface CloudState {
  version: 1;
  clockOffsetMs: number;
  secrets: SecretRecord[];
  functions: FunctionRecord[];
  buses: BusRecord[];
}

export function emptyState(): CloudState {
  return { version: 1, clockOffsetMs: 0, secrets: [], functions: [], buses: [] };
}

export interface CloudIdentity {
  region: string;
  account: string;
}

/** What an emulated service needs from the cloud around it. */
export interface ServiceContext extends CloudIdentity {
  clock: Clock;
  state: CloudState;
  save(): Promise<void>;
}

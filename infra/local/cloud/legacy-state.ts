import { access, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordStore } from './storage/record-store.ts';

/**
 * State folders written before accounts and regions existed held one `state.json` (the default
 * account-region's secrets, functions and buses, and the clock), `events/` and `dynamodb/`. They
 * are moved into the default account-region's folder once; `state.json` is then renamed
 * `state.json.migrated`, which marks the move as done (every step before it can run again).
 */
interface LegacyState {
  version: 1;
  clockOffsetMs: number;
  secrets: Array<{ arn: string; versions: Array<{ id: string }> } & Record<string, unknown>>;
  functions: Array<{ name: string } & Record<string, unknown>>;
  buses: Array<{ name: string } & Record<string, unknown>>;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function migrateLegacyState(stateDir: string, defaults: { account: string; region: string }): Promise<boolean> {
  const legacyPath = join(stateDir, 'state.json');
  if (!(await exists(legacyPath))) return false;
  let legacy: LegacyState;
  try {
    legacy = JSON.parse(await readFile(legacyPath, 'utf8')) as LegacyState;
  } catch {
    throw new Error(`state file ${legacyPath} is not valid JSON; move it aside to start with empty state`);
  }
  if (legacy.version !== 1) throw new Error(`state in ${stateDir} has version ${String(legacy.version)}; this local cloud reads version 1`);

  const partitionDir = join(stateDir, 'accounts', defaults.account, defaults.region);
  const store = await RecordStore.open(partitionDir);
  for (const secret of legacy.secrets ?? []) {
    const { versions, ...meta } = secret;
    store.put('secret', secret.arn, () => ({ ...meta, versionIds: versions.map((v) => v.id) }));
    for (const version of versions) store.put('secret-version', `${secret.arn} ${version.id}`, () => version);
  }
  for (const fn of legacy.functions ?? []) store.put('function', fn.name, () => fn);
  for (const bus of legacy.buses ?? []) store.put('bus', bus.name, () => bus);
  await store.commit();
  await store.close();

  const cloud = await RecordStore.open(join(stateDir, 'cloud'));
  cloud.put('clock', 'clock', () => ({ offsetMs: legacy.clockOffsetMs ?? 0 }));
  await cloud.commit();
  await cloud.close();

  for (const [from, to] of [
    [join(stateDir, 'dynamodb'), join(partitionDir, 'dynamodb')],
    [join(stateDir, 'events'), join(partitionDir, 'events')],
  ] as const) {
    if ((await exists(from)) && !(await exists(to))) await rename(from, to);
  }
  await rename(legacyPath, `${legacyPath}.migrated`);
  return (await readdir(partitionDir)).length > 0;
}

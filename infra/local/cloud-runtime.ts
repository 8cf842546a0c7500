import { faultConfigSchema } from './cloud/faults.ts';
import { DEFAULT_PORT, startLocalCloud, type LocalCloud } from './cloud/server.ts';
import { builtinFunctions } from './functions.ts';
import { ensureStackResources, useLocalCloudForInProcessFunctions } from './stack-resources.ts';

export interface CloudSettings {
  port: number;
  stateDir: string;
  region?: string;
  clockScale: number;
  schedulerIntervalMs: number;
  logRequests: boolean;
  faults?: ReturnType<typeof faultConfigSchema.parse>;
}

export class SettingsError extends Error {}

function numberSetting(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new SettingsError(`${name} must be a non-negative number, got "${text}"`);
  return value;
}

/** The local cloud's settings from its documented environment variables (and flags, which win). */
export function cloudSettings(flags: { port?: string; stateDir?: string; clockScale?: string; quiet?: boolean }, env = process.env): CloudSettings {
  let faults;
  if (env.LOCAL_CLOUD_FAULTS) {
    let json: unknown;
    try {
      json = JSON.parse(env.LOCAL_CLOUD_FAULTS);
    } catch {
      throw new SettingsError('LOCAL_CLOUD_FAULTS is not valid JSON');
    }
    const parsed = faultConfigSchema.safeParse(json);
    if (!parsed.success) throw new SettingsError(`LOCAL_CLOUD_FAULTS is not a valid fault configuration: ${parsed.error.message}`);
    faults = parsed.data;
  }
  return {
    port: numberSetting('LOCAL_CLOUD_PORT', flags.port ?? env.LOCAL_CLOUD_PORT, DEFAULT_PORT),
    stateDir: flags.stateDir ?? env.LOCAL_CLOUD_DIR ?? '.local-cloud',
    region: env.AWS_REGION || undefined,
    clockScale: numberSetting('LOCAL_CLOUD_CLOCK_SCALE', flags.clockScale ?? env.LOCAL_CLOUD_CLOCK_SCALE, 1),
    schedulerIntervalMs: numberSetting('LOCAL_CLOUD_SCHEDULER_MS', env.LOCAL_CLOUD_SCHEDULER_MS, 1000),
    logRequests: !flags.quiet && env.LOCAL_CLOUD_LOG !== '0',
    faults,
  };
}

/** The settings, or a clear message and exit code 2 when one is invalid (a command-line entry point's way). */
export function cloudSettingsOrExit(flags: Parameters<typeof cloudSettings>[0]): CloudSettings {
  try {
    return cloudSettings(flags);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

/** The local cloud with the functions and resources the rotator stack would deploy on AWS. */
export async function startCloudRuntime(settings: CloudSettings): Promise<LocalCloud> {
  const cloud = await startLocalCloud({ ...settings, functions: await builtinFunctions() });
  useLocalCloudForInProcessFunctions(cloud.url, cloud.region);
  await ensureStackResources(cloud.url, cloud.region);
  return cloud;
}

/** Stops on Ctrl-C or SIGTERM, once, running `stop` first. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`stopping failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

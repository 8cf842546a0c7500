import './xray-manual-mode.ts';
import { DEFAULT_ENGINE_TIMING } from './cloud/engines.ts';
import { faultConfigSchema } from './cloud/faults.ts';
import { DEFAULT_PORT, startLocalCloud, type LocalCloud, type LocalCloudOptions } from './cloud/server.ts';
import { tunables } from './functions.ts';
import { applyStacks, type AppliedFunction, type ApplyOptions } from './deploy/apply.ts';
import { localStacks, type LocalStacks } from './deploy/synth.ts';
import type { Environment } from '../../shared/runtime/settings.ts';
import type { MetricsSink } from '../../shared/runtime/observability.ts';

export interface CloudSettings {
  port: number;
  stateDir: string;
  region?: string;
  clockScale: number;
  schedulerIntervalMs: number;
  /** Step Functions Wait and retry factors (LocalCloudOptions.timing). */
  timing: { waitScale: number; retryScale: number };
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
    timing: {
      waitScale: numberSetting('LOCAL_CLOUD_WAIT_SCALE', env.LOCAL_CLOUD_WAIT_SCALE, DEFAULT_ENGINE_TIMING.waitScale),
      retryScale: numberSetting('LOCAL_CLOUD_RETRY_SCALE', env.LOCAL_CLOUD_RETRY_SCALE, DEFAULT_ENGINE_TIMING.retryScale),
    },
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

/** Which member accounts the central stacks are synthesised for (the embedded default's demo organisation). */
export interface OrganizationSetup {
  organizationId?: string;
  memberAccountIds: string[];
  externalId?: string;
  regions?: string[];
}

export interface RuntimeOptions {
  metrics?: MetricsSink;
  /** The member accounts and regions the central stacks are synthesised for. */
  organization?: OrganizationSetup;
  /** What Organizations answers and aws:PrincipalOrgID evaluates against. */
  cloudOrganization?: LocalCloudOptions['organization'];
  /** Environment a function of an entry gets on top of its template's. */
  environmentFor?: ApplyOptions['environmentFor'];
}

export interface CloudRuntime {
  cloud: LocalCloud;
  stacks: LocalStacks;
  functions: AppliedFunction[];
}

/**
 * The local cloud with the product's central stacks applied as the CDK app synthesises them: the
 * fleet rotator, the control plane's tables, buses, rules, roles and workflow, each function running
 * its real code in this process with its own role (IAM applies).
 */
export async function startCloudRuntime(settings: CloudSettings, options: RuntimeOptions = {}): Promise<CloudRuntime> {
  const stacks = await localStacks(options.organization ?? { memberAccountIds: [] });
  const cloud = await startLocalCloud({ ...settings, ...(options.cloudOrganization ? { organization: options.cloudOrganization } : {}) });
  try {
    const { functions } = await applyStacks(
      cloud,
      stacks.central.map((stack) => ({ ...stack, account: cloud.account, region: cloud.region })),
      { metrics: options.metrics, now: () => cloud.clock.now(), environmentFor: options.environmentFor },
    );
    return { cloud, stacks, functions };
  } catch (err) {
    await cloud.stop();
    throw err;
  }
}

/** What a function of the embedded default finds in its environment: the local cloud as its endpoint, the account's keys, and the tunables the user set. */
export function functionEnvironment(cloud: Pick<LocalCloud, 'url' | 'region' | 'account'>, env: Environment = process.env): Environment {
  return {
    ...tunables(env),
    AWS_ENDPOINT_URL: cloud.url,
    AWS_REGION: cloud.region,
    AWS_ACCOUNT_ID: cloud.account,
    AWS_ACCESS_KEY_ID: cloud.account,
    AWS_SECRET_ACCESS_KEY: 'local',
  };
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

import type { Environment } from '../../shared/runtime/settings.ts';

export const FLEET_ROTATOR = 'fleet-rotator';

/** Settings a user may tune for the in-process functions, as they would in a function's environment. */
export const TUNABLES = ['ROTATOR_CONNECT_TIMEOUT_MS', 'AWS_MAX_ATTEMPTS'] as const;

/** The tunables set in this process's environment, passed on to every in-process function. */
export const tunables = (env: Environment = process.env): Environment => Object.fromEntries(TUNABLES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));

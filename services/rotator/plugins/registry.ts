import type { ServicePlugin } from '../types.ts';
import { postgresPlugin } from './postgres/index.ts';
import { mysqlPlugin } from './mysql/index.ts';
import { redisPlugin } from './redis/index.ts';
import { rabbitmqPlugin } from './rabbitmq/index.ts';
import { httpPlugin } from './http/index.ts';

/** Every service type the fleet rotator serves. A new one is a folder here and a line below. */
export const PLUGINS: readonly ServicePlugin[] = [postgresPlugin, mysqlPlugin, redisPlugin, rabbitmqPlugin, httpPlugin];

export function pluginFor(engine: string): ServicePlugin | undefined {
  return PLUGINS.find((p) => p.engines.includes(engine));
}

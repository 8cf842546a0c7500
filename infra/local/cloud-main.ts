import './xray-manual-mode.ts';
import { parseArgs } from 'node:util';
import { cloudSettingsOrExit, startCloudRuntime, stopOnSignals } from './cloud-runtime.ts';

/**
 * `npm run cloud`: the local cloud with the product's central stacks applied (the fleet rotator and
 * the control plane's tables, buses and workflow), for the aws CLI, boto3 or the SDK to talk to.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'state-dir': { type: 'string' },
    'clock-scale': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const settings = cloudSettingsOrExit({ port: values.port, stateDir: values['state-dir'], clockScale: values['clock-scale'], quiet: values.quiet });

const { cloud } = await startCloudRuntime(settings);
console.log(`local cloud listening on ${cloud.url} (account ${cloud.account}, region ${cloud.region})`);
console.log(`  aws --endpoint-url ${cloud.url} secretsmanager list-secrets`);
console.log(`  aws --endpoint-url ${cloud.url} stepfunctions list-state-machines`);
console.log(`  deliveries to rule targets: curl ${cloud.url}/_local/deliveries`);
console.log(`  events: curl ${cloud.url}/_local/events`);
stopOnSignals(() => cloud.stop());

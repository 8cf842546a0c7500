import { parseArgs } from 'node:util';
import { cloudSettingsOrExit, startCloudRuntime, stopOnSignals } from './cloud-runtime.ts';
import { randomBytes } from 'node:crypto';
import { startControlPlane } from './control-plane.ts';
import { DEMO_SECRET_NAME, startDemoTarget } from './demo-target.ts';

/**
 * `npm start`: the embedded default. The local cloud with the fleet rotator, the control plane
 * (REST API and onboarding workflow), and a demo PostgreSQL with its credential as a secret, ready
 * to onboard.
 */
const { values } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

// Quiet by default so the next steps stay on screen; --verbose or LOCAL_CLOUD_LOG=1 logs each call.
const settings = cloudSettingsOrExit({ quiet: !values.verbose && process.env.LOCAL_CLOUD_LOG !== '1' });
const demoPort = Number(process.env.DEMO_POSTGRES_PORT ?? 5433);
const apiPort = Number(process.env.PORT ?? 3000);
// A demo token when none are configured: printed below, valid for this run only.
const tokens = process.env.RCP_TOKENS || `demo:${randomBytes(16).toString('hex')}`;
const [demoTeam, demoToken] = (() => {
  const first = tokens.split(',')[0]!;
  const colon = first.indexOf(':');
  return [first.slice(0, colon), first.slice(colon + 1)];
})();

const cloud = await startCloudRuntime(settings);
const demo = await startDemoTarget(cloud.url, cloud.region, settings.stateDir, demoPort, demoTeam!);
const controlPlane = await startControlPlane(cloud, { port: apiPort, tokens });
console.log(`local cloud listening on ${cloud.url} (account ${cloud.account}, region ${cloud.region})`);
console.log(`API listening on ${controlPlane.url} (team "${demoTeam}", token ${demoToken})`);
console.log(`demo PostgreSQL on 127.0.0.1:${demo.postgres.port}, its credential in secret ${DEMO_SECRET_NAME}`);
console.log(`
Next, in another terminal:
  export RCP_API_URL=${controlPlane.url} RCP_TOKEN=${demoToken}
  npx rotctl onboard --secret ${DEMO_SECRET_NAME} --schedule "rotate every 30 days" --team ${demoTeam}
  npx rotctl list
  curl -s '${cloud.url}/_local/events?bus=rcp-audit'
`);
console.log('ready');
stopOnSignals(async () => {
  await controlPlane.stop();
  await cloud.stop();
  await demo.stop();
});

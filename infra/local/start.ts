import { parseArgs } from 'node:util';
import { cloudSettings, SettingsError, startCloudRuntime, stopOnSignals } from './cloud-runtime.ts';
import { DEMO_SECRET_NAME, startDemoTarget } from './demo-target.ts';

/**
 * `npm start`: the embedded default. The local cloud with the fleet rotator, and a demo
 * PostgreSQL with its credential as a secret, ready to rotate.
 */
const { values } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

let settings;
try {
  // Quiet by default so the next steps stay on screen; --verbose or LOCAL_CLOUD_LOG=1 logs each call.
  settings = cloudSettings({ quiet: !values.verbose && process.env.LOCAL_CLOUD_LOG !== '1' });
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const demoPort = Number(process.env.DEMO_POSTGRES_PORT ?? 5433);

const cloud = await startCloudRuntime(settings);
const demo = await startDemoTarget(cloud.url, cloud.region, settings.stateDir, demoPort);
const endpoint = `--endpoint-url ${cloud.url}`;
console.log(`local cloud listening on ${cloud.url} (account ${cloud.account}, region ${cloud.region})`);
console.log(`demo PostgreSQL on 127.0.0.1:${demo.postgres.port}, its credential in secret ${DEMO_SECRET_NAME}`);
console.log(`
Next:
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${cloud.region}
  aws ${endpoint} secretsmanager rotate-secret --secret-id ${DEMO_SECRET_NAME} \\
      --rotation-lambda-arn arn:aws:lambda:${cloud.region}:${cloud.account}:function:fleet-rotator \\
      --rotation-rules '{"ScheduleExpression":"rate(30 days)"}'
  aws ${endpoint} secretsmanager describe-secret --secret-id ${DEMO_SECRET_NAME}
  curl -s '${cloud.url}/_local/events?bus=rcp-audit'
`);
stopOnSignals(async () => {
  await cloud.stop();
  await demo.stop();
});

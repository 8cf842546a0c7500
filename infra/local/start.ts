import './xray-manual-mode.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESOURCES } from '../../shared/names.ts';
import { parseTokens } from '../../services/api/auth.ts';
import { localTeamPrincipals, startApiGateway } from './api-gateway.ts';
import { cloudSettingsOrExit, startCloudRuntime, stopOnSignals } from './cloud-runtime.ts';
import { DEMO_CREDENTIALS, DEMO_ORGANIZATION, demoOrganizationConfig, demoOrganizationSetup, deployMemberStacks, ensureDemoCredential } from './demo-organization.ts';
import { MetricsRecorder } from './metrics-recorder.ts';
import { startPasswordPostgres, stopOrphanedServer } from './password-postgres.ts';
import { checkPortsFree, demoToken, portSetting, prepareStateDir, StartupError } from './startup-checks.ts';

/**
 * `npm start`: the embedded default. A local cloud with an organisation of three accounts in two
 * regions; the product's central stacks applied to the central account (fleet rotator, workflow,
 * API function, each with its own role) and the member stacks to the members; API Gateway in
 * front of the API function; a demo PostgreSQL whose logins are secrets in each account.
 */
const { values } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

/** What a start that fails half-way must stop before it exits. */
let stopStarted: (() => Promise<void>) | undefined;

async function main() {
  // Quiet by default so the next steps stay on screen; --verbose or LOCAL_CLOUD_LOG=1 logs each call.
  const settings = cloudSettingsOrExit({ quiet: !values.verbose && process.env.LOCAL_CLOUD_LOG !== '1' });
  const demoPort = portSetting('DEMO_POSTGRES_PORT', process.env.DEMO_POSTGRES_PORT, 5433);
  const apiPort = portSetting('PORT', process.env.PORT, 3000);
  const stateDir = await prepareStateDir(settings.stateDir);
  settings.stateDir = stateDir;
  // A demo PostgreSQL a killed npm start left behind is ours: stop it, or its port looks taken.
  if (await stopOrphanedServer(join(stateDir, 'demo-postgres'))) console.log('stopped the demo PostgreSQL a previous npm start left running');
  await checkPortsFree([
    { port: settings.port, setting: 'LOCAL_CLOUD_PORT', what: 'local cloud' },
    { port: apiPort, setting: 'PORT', what: 'REST API' },
    { port: demoPort, setting: 'DEMO_POSTGRES_PORT', what: 'demo PostgreSQL' },
  ]);
  // A demo token when none are configured, kept in the state folder so it survives restarts.
  const tokenText = process.env.RCP_TOKENS || `demo:${await demoToken(stateDir)}`;
  const tokens = parseTokens(tokenText);
  const [demoToken_, demoTeam] = [...tokens][0]!;

  // The databases come up before the cloud: rotations a crash interrupted resume as the cloud starts,
  // and they log in to them.
  const postgres = await startPasswordPostgres({ dir: join(stateDir, 'demo-postgres'), port: demoPort, persistent: true });
  stopStarted = () => postgres.stop();
  const metrics = new MetricsRecorder();
  const { cloud, stacks, functions } = await startCloudRuntime(settings, {
    metrics,
    organization: demoOrganizationSetup(),
    cloudOrganization: demoOrganizationConfig(),
    // Locally a bearer token stands for a caller: the API function maps it to its team as it maps IAM principals on AWS.
    environmentFor: { 'services/api/handler.ts': { RCP_TEAM_PRINCIPALS: JSON.stringify(localTeamPrincipals(DEMO_ORGANIZATION.central.id, tokens.values())) } },
  });
  await deployMemberStacks(cloud, stacks);
  const credentials = [];
  for (const credential of DEMO_CREDENTIALS) credentials.push({ ...credential, ...(await ensureDemoCredential(cloud, postgres, credential, demoTeam)) });
  const apiFunction = functions.find((f) => f.entry === 'services/api/handler.ts');
  if (!apiFunction) throw new Error('the control plane stack defines no API function');
  const api = await startApiGateway({ cloud, functionArn: apiFunction.arn, tokens, port: apiPort, metrics });

  const accounts = [DEMO_ORGANIZATION.central, ...DEMO_ORGANIZATION.members];
  console.log(`local cloud listening on ${cloud.url} (state in ${stateDir})`);
  console.log(`organisation ${DEMO_ORGANIZATION.id}, regions ${DEMO_ORGANIZATION.regions.join(' and ')}; each account acts with its id as AWS_ACCESS_KEY_ID:`);
  for (const account of accounts) console.log(`  ${account.id}  ${account.name}${account.id === cloud.account ? ' (central: control plane, fleet rotator)' : ' (member)'}`);
  console.log(`API listening on ${api.url} (team "${demoTeam}", token ${demoToken_})`);
  console.log(`demo PostgreSQL on 127.0.0.1:${postgres.port} (admin: ${stateDir}/demo-postgres/admin.json); its logins are the secrets`);
  for (const c of credentials) console.log(`  ${c.name.padEnd(24)} account ${c.account} ${c.region}${c.onboarded ? ' (onboarded)' : ''}`);
  const demo = credentials[0]!;
  const member = credentials[credentials.length - 1]!;
  const next = demo.onboarded
    ? [`npx rotctl rotation ${demo.name}`, `npx rotctl rotate ${demo.name}`, 'npx rotctl list']
    : [`npx rotctl onboard --secret ${demo.name} --schedule "rotate every 30 days"`, `npx rotctl onboard --secret ${member.arn} --schedule "rotate every 30 days"`, 'npx rotctl list'];
  console.log(`
Next, in another terminal:
  export RCP_API_URL=${api.url} RCP_TOKEN=${demoToken_}
${next.map((line) => `  ${line}`).join('\n')}
  AWS_ACCESS_KEY_ID=${member.account} AWS_SECRET_ACCESS_KEY=x aws --endpoint-url ${cloud.url} --region ${member.region} secretsmanager describe-secret --secret-id ${member.name}
  curl -s '${cloud.url}/_local/events?bus=${RESOURCES.auditBus}'
  curl -s ${api.url}/_local/metrics
`);
  console.log('ready');
  stopOnSignals(async () => {
    await api.stop();
    await cloud.stop();
    await postgres.stop();
  });
}

main().catch(async (err: unknown) => {
  await stopStarted?.().catch(() => undefined);
  if (err instanceof StartupError) {
    console.error(err.message);
    process.exit(2);
  }
  const error = err as NodeJS.ErrnoException;
  console.error(`npm start failed: ${error?.name ?? 'Error'}: ${error?.message ?? String(err)}`);
  process.exit(1);
});

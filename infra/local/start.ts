import './xray-manual-mode.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESOURCES } from '../../shared/names.ts';
import { parseTokens } from '../../services/api/auth.ts';
import { localTeamPrincipals, startApiGateway } from './api-gateway.ts';
import { consoleFiles, ensureConsoleBuilt } from './console-files.ts';
import { cloudSettingsOrExit, startCloudRuntime, stopOnSignals } from './cloud-runtime.ts';
import { DEMO_CREDENTIALS, DEMO_ORGANIZATION, demoOrganizationConfig, organizationBanner, demoOrganizationSetup, deployMemberStacks, ensureDemoCredential } from './demo-organization.ts';
import { MetricsRecorder } from './metrics-recorder.ts';
import { evaluateNow, seedComplianceDemo } from './demo-compliance.ts';
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
  // With the demo token comes an auditor's (RCP_AUDITOR_TEAMS names the teams whose tokens are auditors').
  const tokenText = process.env.RCP_TOKENS || `demo:${await demoToken(stateDir)},auditor:${await demoToken(stateDir, 'auditor-token')}`;
  const tokens = parseTokens(tokenText);
  const auditorTeams = (process.env.RCP_AUDITOR_TEAMS ?? (process.env.RCP_TOKENS ? '' : 'auditor')).split(',').map((t) => t.trim()).filter(Boolean);
  const [demoToken_, demoTeam] = [...tokens][0]!;
  // The web console the API's address serves, built first when a clone or an edit left it missing or stale.
  await ensureConsoleBuilt((line) => console.log(line));

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
    environmentFor: {
      // The compliance policy (services/compliance/policy.ts); on AWS the context value rcp:compliancePolicy.
      ...(process.env.RCP_COMPLIANCE_POLICY ? { 'services/compliance/handler.ts': { RCP_COMPLIANCE_POLICY: process.env.RCP_COMPLIANCE_POLICY } } : {}),
      'services/api/handler.ts': {
        ...(process.env.RCP_COMPLIANCE_POLICY ? { RCP_COMPLIANCE_POLICY: process.env.RCP_COMPLIANCE_POLICY } : {}),
        RCP_TEAM_PRINCIPALS: JSON.stringify(localTeamPrincipals(DEMO_ORGANIZATION.central.id, tokens.values())),
        RCP_AUDITOR_PRINCIPALS: JSON.stringify(Object.keys(localTeamPrincipals(DEMO_ORGANIZATION.central.id, auditorTeams))),
      },
    },
  });
  await deployMemberStacks(cloud, stacks);
  const credentials = [];
  for (const credential of DEMO_CREDENTIALS) credentials.push({ ...credential, ...(await ensureDemoCredential(cloud, postgres, credential, demoTeam)) });
  // Secrets that fail each compliance rule (RCP_DEMO_COMPLIANCE=0 leaves them out), then a first evaluation.
  const seeded = process.env.RCP_DEMO_COMPLIANCE === '0' ? [] : await seedComplianceDemo(cloud, demoTeam);
  const complianceFunction = functions.find((f) => f.entry === 'services/compliance/handler.ts');
  if (complianceFunction && process.env.RCP_DEMO_COMPLIANCE !== '0') await evaluateNow(cloud, complianceFunction.arn);
  const apiFunction = functions.find((f) => f.entry === 'services/api/handler.ts');
  if (!apiFunction) throw new Error('the control plane stack defines no API function');
  const api = await startApiGateway({ cloud, functionArn: apiFunction.arn, tokens, port: apiPort, metrics, fallback: consoleFiles() });

  console.log(`local cloud listening on ${cloud.url} (state in ${stateDir})`);
  for (const line of organizationBanner(cloud.url)) console.log(line);
  console.log(`API listening on ${api.url} (team "${demoTeam}", token ${demoToken_})`);
  for (const [token, team] of tokens) if (auditorTeams.includes(team)) console.log(`  auditor "${team}" (reads the whole organisation's compliance): token ${token}`);
  console.log(`web console on ${api.url}/ (sign in with a token above)`);
  console.log(`demo PostgreSQL on 127.0.0.1:${postgres.port} (admin: ${stateDir}/demo-postgres/admin.json); its logins are the secrets`);
  for (const c of credentials) console.log(`  ${c.name.padEnd(24)} account ${c.account} ${c.region}${c.onboarded ? ' (onboarded)' : ''}`);
  if (seeded.length) {
    console.log('compliance demo: secrets that fail a rule on purpose (the clock moved 91 days on so time-based rules fail):');
    for (const s of seeded) console.log(`  ${s.name.padEnd(32)} account ${s.account} ${s.region}: ${s.fails}`);
  }
  const demo = credentials[0]!;
  const member = credentials[credentials.length - 1]!;
  const next = demo.onboarded
    ? [`npx rotctl rotation ${demo.name}`, `npx rotctl rotate ${demo.name}`, 'npx rotctl list']
    : [`npx rotctl onboard --secret ${demo.name} --schedule "rotate every 30 days"`, `npx rotctl onboard --secret ${member.arn} --schedule "rotate every 30 days"`, 'npx rotctl list'];
  next.push(`npx rotctl events ${member.arn}`);
  console.log(`
Next, in another terminal:
  export RCP_API_URL=${api.url} RCP_TOKEN=${demoToken_}
${next.map((line) => `  ${line}`).join('\n')}
  npx rotctl compliance
  npx rotctl compliance findings --state NON_COMPLIANT
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

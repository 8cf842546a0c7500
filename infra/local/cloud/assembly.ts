import { AdminRoutes } from './admin.ts';
import { Authorizer } from './auth/authorizer.ts';
import { parseRoleArn } from './auth/principals.ts';
import { Clock } from './clock.ts';
import type { ServiceProvider } from './context.ts';
import { CloudEngines, DEFAULT_ENGINE_TIMING, type EngineTiming } from './engines.ts';
import { CallCounter, FaultInjector, type FaultConfig } from './faults.ts';
import { Gateway } from './gateway/gateway.ts';
import { Identities } from './gateway/identity.ts';
import { migrateLegacyState } from './legacy-state.ts';
import { Scopes, type Scope } from './scopes.ts';
import { dynamoDbProvider } from './services/dynamodb/provider.ts';
import { EventBuses } from './services/eventbridge/buses.ts';
import { EventLog } from './services/eventbridge/event-store.ts';
import { eventBridgeProvider } from './services/eventbridge/provider.ts';
import { iamProvider } from './services/iam/provider.ts';
import { IamRoles } from './services/iam/roles.ts';
import { FunctionRegistry, LambdaRuntime, type BuiltinFunction } from './services/lambda/functions.ts';
import { lambdaProvider } from './services/lambda/provider.ts';
import { Organization, organizationSchema, type OrganizationConfig } from './services/organizations/organization.ts';
import { organizationsProvider } from './services/organizations/provider.ts';
import { SecretsManagerBackend } from './services/secretsmanager/backend.ts';
import { secretsManagerProvider } from './services/secretsmanager/provider.ts';
import { RotationEngine } from './services/secretsmanager/rotation-engine.ts';
import { RoleAssumer } from './services/sts/assume-role.ts';
import { statesProvider } from './services/states/provider.ts';
import { stsProvider } from './services/sts/provider.ts';
import { RoleSessions } from './services/sts/sessions.ts';

export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  stateDir?: string;
  /** The default region: for unsigned requests and keys signed for no valid region. */
  region?: string;
  /** The default account: for any access key that is not 12 digits or a session key. */
  account?: string;
  /** Emulated milliseconds per real millisecond. */
  clockScale?: number;
  /** How often (real ms) the rotation scheduler looks for due rotations; 0 turns it off. */
  schedulerIntervalMs?: number;
  /**
   * Factors for Step Functions Wait states (`waitScale`) and for retry intervals (`retryScale`:
   * Step Functions Retry, EventBridge's delivery retries). Default `{ waitScale: 0.05, retryScale:
   * 0.1 }`, which keeps the embedded default and the tests quick; `{ waitScale: 1, retryScale: 1 }`
   * waits as AWS does.
   */
  timing?: Partial<EngineTiming>;
  functions?: BuiltinFunction[];
  faults?: FaultConfig;
  /** The organisation the accounts belong to (also settable with PUT /_local/organization). */
  organization?: OrganizationConfig;
  /** More services, built from the cloud's core (Step Functions plugs in here). */
  providers?: Array<(core: CloudCore) => ServiceProvider>;
  /** Log one line per request (operation, account/region, status, time; never bodies). */
  logRequests?: boolean;
}

/** What a service provider may build on: the clock, the scopes holding state, and the shared services. */
export interface CloudCore {
  defaults: { account: string; region: string };
  clock: Clock;
  scopes: Scopes;
  events: EventLog;
  lambda: LambdaRuntime;
  authorizer: Authorizer;
  /** Step Functions and EventBridge rules of each account-region. */
  engines: CloudEngines;
  /** The cloud's URL, once it listens. */
  url(): string;
}

/** The assembled cloud, ready to be put behind HTTP. */
export interface CloudAssembly {
  core: CloudCore;
  rotations: RotationEngine;
  engines: CloudEngines;
  gateway: Gateway;
  admin: AdminRoutes;
  faults: FaultInjector;
  calls: CallCounter;
  saveClock(): Promise<void>;
  pruneSessions(): void;
  /** Tells the parts the cloud's URL once it listens (functions get it as AWS_ENDPOINT_URL). */
  setUrl(url: string): void;
}

/**
 * Builds the cloud from its parts (and its state in `stateDir`): the scopes holding state, the
 * clock, IAM, Lambda, the rotation engine, Step Functions and EventBridge rules per account-region,
 * one provider per service behind the gateway, and the `/_local` routes. Nothing listens yet:
 * `server.ts` puts it behind HTTP.
 */
export async function assembleCloud(options: LocalCloudOptions, stateDir: string, defaults: { account: string; region: string }): Promise<CloudAssembly> {
  await migrateLegacyState(stateDir, defaults);

  const events = new EventLog();
  // `clock`, `rotations` and `engines` are created below; the scopes call back into them only once regions open.
  const backendOf = (scope: Scope): SecretsManagerBackend => scope.service('secretsmanager', (s) => new SecretsManagerBackend(s, { clock, rotation: rotations }));
  const scopes = new Scopes(stateDir, async (scope) => {
    // Services the scheduler and /_local read from the start: their state loads with the scope.
    await events.load(scope);
    EventBuses.of(scope, clock, events);
    FunctionRegistry.of(scope);
    backendOf(scope);
    // Executions and deliveries a crash interrupted are known from the start (they resume at engines.start()).
    await engines.of(scope);
  });

  const cloudScope = await scopes.cloud();
  const savedClock = cloudScope.store.attach('clock', () => [['clock', { offsetMs: clock.offset }]]).get('clock') as { offsetMs: number } | undefined;
  const clock = new Clock(savedClock?.offsetMs ?? 0, options.clockScale ?? 1);
  const saveClock = () => {
    cloudScope.store.put('clock', 'clock', () => ({ offsetMs: clock.offset }));
    return cloudScope.store.commit();
  };
  const organization = Organization.of(cloudScope);
  if (options.organization) {
    organization.set(organizationSchema.parse(options.organization), clock.now());
    await organization.commit();
  }

  let url = '';
  const authorizer = new Authorizer({
    async rolePolicies(roleArn) {
      const parsed = parseRoleArn(roleArn);
      if (!parsed) return undefined;
      const roles = IamRoles.of(await scopes.accountWide(parsed.account));
      const role = roles.find(parsed.name);
      return role && role.arn === roleArn ? roles.permissionStatements(role) : undefined;
    },
    organizationOf: (account) => organization.idOf(account),
  });
  const assumer = new RoleAssumer(scopes, authorizer);
  const lambda = new LambdaRuntime({ scopes, clock, defaults, authorizer, assumer, url: () => url });
  const homeOf = (secretArn: string) => ({ account: secretArn.split(':')[4]!, region: secretArn.split(':')[3]! });
  const rotations: RotationEngine = new RotationEngine({
    clock,
    backends: () => scopes.regions().map(backendOf),
    backendOf(secretArn) {
      const { account, region } = homeOf(secretArn);
      const scope = scopes.openRegion(account, region);
      return scope && backendOf(scope);
    },
    functions: {
      canInvoke: async (functionArn, caller) => lambda.canInvoke(functionArn, caller, homeOf(caller.sourceArn)),
      invoke: (functionArn, event, caller) => lambda.invoke(functionArn, event, homeOf(caller.sourceArn)),
    },
    putEvents: async (account, region, entries) => EventBuses.of(await scopes.region(account, region), clock, events).putEvents(entries),
  });

  const engines = new CloudEngines({
    scopes,
    clock,
    clockScale: options.clockScale ?? 1,
    timing: { ...DEFAULT_ENGINE_TIMING, ...options.timing },
    lambda,
    events,
    organizationOf: (account) => organization.idOf(account),
    log: (line) => console.error(line),
  });

  await scopes.openExisting();
  await scopes.region(defaults.account, defaults.region);
  for (const fn of options.functions ?? []) await lambda.registerBuiltin(fn);

  const core: CloudCore = { defaults, clock, scopes, events, lambda, authorizer, engines, url: () => url };
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const calls = new CallCounter();
  const gateway = new Gateway({
    providers: [
      secretsManagerProvider({ scopes, backendOf, rotation: rotations, now: () => clock.now() }),
      lambdaProvider(lambda),
      eventBridgeProvider({ clock, events, rulesOf: (scope) => engines.of(scope) }),
      statesProvider(async (scope) => (await engines.of(scope)).statesApi),
      stsProvider(assumer),
      iamProvider(scopes, clock),
      organizationsProvider(scopes),
      dynamoDbProvider(),
      ...(options.providers ?? []).map((build) => build(core)),
    ],
    scopes,
    identities: new Identities(defaults, scopes),
    authorizer,
    faults,
    calls,
    defaults,
    logRequests: options.logRequests ?? false,
  });
  const admin = new AdminRoutes({ defaults, clock, saveClock, events, faults, calls, lambda, rotations, engines, scopes, backendOf });
  const sessions = RoleSessions.of(cloudScope);
  return {
    core,
    rotations,
    engines,
    gateway,
    admin,
    faults,
    calls,
    saveClock,
    pruneSessions: () => sessions.prune(),
    setUrl: (value) => (url = value),
  };
}


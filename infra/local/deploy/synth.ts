import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
import { resolve, type Template } from './template.ts';

/** What the embedded default deploys: the central stage's stacks in order, and the member stacks. */
export interface LocalStacks {
  central: Array<{ name: string; template: Template }>;
  memberRoles: Template;
  memberForwarding: Template;
}

export interface LocalStackSettings {
  organizationId?: string;
  memberAccountIds: string[];
  externalId?: string;
  regions?: string[];
  teamPrincipals?: Record<string, string>;
}

/** Everything the templates are made from: the CDK app, the code it reads names and contracts from, the locked packages. */
const SOURCES = ['infra/aws', 'shared', 'services', 'openapi.yaml', 'package-lock.json'];

function sourceHash(settings: LocalStackSettings): string {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  const walk = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      if (path.endsWith('node_modules') || path.endsWith('dist')) return;
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else if (/\.(ts|json|yaml)$/.test(path)) {
      hash.update(relative(PROJECT_ROOT, path)).update(readFileSync(path));
    }
  };
  for (const source of SOURCES) walk(join(PROJECT_ROOT, source));
  return hash.digest('hex').slice(0, 24);
}

/**
 * The CDK app's templates, synthesised without bundling code, as the embedded default applies them.
 * Synthesis takes seconds, so the result is kept under node_modules/.cache, keyed by a hash of every
 * source it depends on: an unchanged checkout starts without synthesising again.
 */
export async function localStacks(settings: LocalStackSettings): Promise<LocalStacks> {
  const cacheDir = join(PROJECT_ROOT, 'node_modules', '.cache', 'rcp-local-stacks');
  const cacheFile = join(cacheDir, `${sourceHash(settings)}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as LocalStacks;
  } catch {
    // not cached yet
  }
  const stacks = await synthesize(settings);
  mkdirSync(cacheDir, { recursive: true });
  const temp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(stacks));
  renameSync(temp, cacheFile);
  return stacks;
}

async function synthesize(settings: LocalStackSettings): Promise<LocalStacks> {
  const { App } = await import('aws-cdk-lib');
  const { SecretRotationControlPlane } = await import('../../aws/lib/control-plane-stage.ts');
  const { MemberRolesStack } = await import('../../aws/lib/member-roles-stack.ts');
  const { MemberForwardingStack } = await import('../../aws/lib/member-forwarding-stack.ts');
  const outdir = mkdtempSync(join(tmpdir(), 'rcp-local-synth-'));
  try {
    const app = new App({ outdir });
    const stage = new SecretRotationControlPlane(app, 'Rcp', {
      bundle: false,
      teamPrincipals: settings.teamPrincipals,
      organization: { organizationId: settings.organizationId, memberAccountIds: settings.memberAccountIds, externalId: settings.externalId, regions: settings.regions },
    });
    const roles = new MemberRolesStack(app, 'RcpMemberRoles');
    const forwarding = new MemberForwardingStack(app, 'RcpMemberForwarding');
    const assembly = app.synth();
    const central = stage.synth();
    return {
      central: [stage.audit, stage.rotator, stage.controlPlane].map((stack) => ({ name: stack.stackName, template: central.getStackArtifact(stack.artifactId).template as Template })),
      memberRoles: assembly.getStackArtifact(roles.artifactId).template as Template,
      memberForwarding: assembly.getStackArtifact(forwarding.artifactId).template as Template,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The onboarding workflow's ASL as the control plane stack deploys it, with each step function's ARN
 * named after its logical id in the default account and region: for running the definition itself.
 */
export async function onboardingDefinition(): Promise<string> {
  const stacks = await localStacks({ memberAccountIds: [] });
  const { template } = stacks.central.find((s) => s.name === 'RcpControlPlane')!;
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const created = new Map(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => [id, { ref: id, attributes: { Arn: `arn:aws:lambda:us-east-1:000000000000:function:${id}` } }]),
  );
  return String(resolve(machine.Properties!.DefinitionString, { account: '000000000000', region: 'us-east-1', partition: 'aws', stackName: 'RcpControlPlane', parameters: {}, exports: new Map(), created, conditions: {} }));
}

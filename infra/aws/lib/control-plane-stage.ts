import { CrossStackReferences, ReferenceStrength, Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AuditStack } from './audit-stack.ts';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConsoleStack } from './console-stack.ts';
import { ControlPlaneStack } from './control-plane-stack.ts';
import { PROJECT_ROOT } from './lambda-bundle.ts';
import type { OrganizationSettings } from './organization.ts';
import { RotatorStack, type RotatorPlacement } from './rotator-stack.ts';
import { checkedSettings } from './stage-settings.ts';

export interface SecretRotationControlPlaneProps extends StageProps {
  /** VPCs where rotated services live: a rotator is placed in each (see RotatorPlacement). */
  readonly placements?: RotatorPlacement[];
  /** Who calls the REST API for which team: IAM principal ARN pattern (`*` wildcard) -> team name. */
  readonly teamPrincipals?: Record<string, string>;
  /** Auditors: IAM principal ARN patterns (`*` wildcard) that read the whole organisation's compliance. */
  readonly auditorPrincipals?: string[];
  /** The compliance policy: rule parameters with org defaults and overrides per account and team (services/compliance/policy.ts). */
  readonly compliancePolicy?: unknown;
  /** The member accounts this central account serves (their stacks: RcpMemberRoles, RcpMemberForwarding). */
  readonly organization?: OrganizationSettings;
  /** CloudFormation stack names; by default `RcpAudit`, `RcpRotator`, `RcpControlPlane` in every stage. */
  readonly stackNames?: { readonly audit?: string; readonly rotator?: string; readonly controlPlane?: string; readonly console?: string };
  /**
   * false synthesises placeholder code instead of bundling the Lambdas (seconds faster): for tests
   * and for reading the workflow's ASL, never for deploying.
   * @default true
   */
  readonly bundle?: boolean;
}

/**
 * The whole central control plane as one CDK Stage, for a platform team's own app or CDK Pipeline
 * (`pipeline.addStage(new SecretRotationControlPlane(app, 'Prod', { env, … }))`): the audit stack
 * (audit bus, org events bus), the rotator stack (fleet rotator, placed rotators) and the control
 * plane stack (workflow, REST API), wired together. Resource and role names are fixed (member
 * accounts trust roles by name), so one account and region holds one control plane.
 */
export class SecretRotationControlPlane extends Stage {
  readonly audit: AuditStack;
  readonly rotator: RotatorStack;
  readonly controlPlane: ControlPlaneStack;
  readonly console: ConsoleStack;

  constructor(scope: Construct, id: string, props: SecretRotationControlPlaneProps = {}) {
    super(scope, id, props);
    const { placements, teamPrincipals, organization, auditorPrincipals, compliancePolicy } = checkedSettings({ placements: props.placements, teamPrincipals: props.teamPrincipals, organization: props.organization, auditorPrincipals: props.auditorPrincipals, compliancePolicy: props.compliancePolicy });
    const bundle = props.bundle ?? true;
    const names = props.stackNames ?? {};
    // Imports, not Fn::GetStackOutput: CloudFormation keeps the bus and rotator while the control plane uses them.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);

    this.audit = new AuditStack(this, 'RcpAudit', { stackName: names.audit ?? 'RcpAudit', organization, description: 'Secret rotation control plane: audit bus and archive, central bus for member accounts' });
    this.rotator = new RotatorStack(this, 'RcpRotator', {
      stackName: names.rotator ?? 'RcpRotator',
      description: 'Secret rotation control plane: the fleet rotator and the rotators placed in VPCs',
      auditBus: this.audit.bus,
      bundle,
      placements,
      organization,
    });
    this.controlPlane = new ControlPlaneStack(this, 'RcpControlPlane', {
      stackName: names.controlPlane ?? 'RcpControlPlane',
      description: 'Secret rotation control plane: onboarding workflow and REST API',
      auditBus: this.audit.bus,
      rotator: this.rotator.rotator,
      placements: this.rotator.placements,
      teamPrincipals,
      auditorPrincipals,
      compliancePolicy,
      orgEventsBus: this.audit.orgBus,
      organization,
      bundle,
    });
    this.console = new ConsoleStack(this, 'RcpConsole', {
      stackName: names.console ?? 'RcpConsole',
      description: 'Secret rotation control plane: web console (CloudFront, S3, Cognito sign-in)',
      apiFunction: this.controlPlane.apiFunction,
      teams: Object.values(teamPrincipals ?? {}),
      consoleDir: bundle ? builtConsole() : undefined,
    });
  }
}

/** The built console (services/console/dist), built first when missing or older than its sources. */
function builtConsole(): string {
  execFileSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts/build-console.ts'), '--if-stale'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(PROJECT_ROOT, 'services/console/dist');
}

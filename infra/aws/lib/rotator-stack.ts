import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { CfnVPCEndpoint, InterfaceVpcEndpoint, InterfaceVpcEndpointAwsService, Peer, Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { productFunction } from './bundling.ts';
import { idempotencyTable } from './idempotency-table.ts';
import { RESOURCES, TAGS } from '../../../shared/names.ts';
import { RECORD_ACTIONS } from '../../../shared/rotation/status-store.ts';
import { centralRoleName } from './central-role-names.ts';
import { acknowledgeWildcard } from './nag.ts';
import { grantAssumeMemberRole, type OrganizationSettings } from './organization.ts';

/** A VPC where rotated services live (CDK context `rcp:placements`, a JSON list). */
export interface RotatorPlacement {
  name: string;
  vpcId: string;
  availabilityZones: string[];
  subnetIds: string[];
  securityGroupIds: string[];
  /**
   * false when the VPC already reaches AWS (NAT, or endpoints of its own). Otherwise the stack adds
   * interface endpoints for Secrets Manager and EventBridge, and a DynamoDB gateway endpoint on
   * `routeTableIds` (the rotator's idempotency records and rotation status).
   */
  createSecretsManagerEndpoint?: boolean;
  routeTableIds?: string[];
}

export interface RotatorStackProps extends StackProps {
  auditBus: IEventBus;
  bundle: boolean;
  placements?: RotatorPlacement[];
  /** Member accounts whose secrets the rotators rotate through `rcp-member-rotation`. */
  organization?: OrganizationSettings;
}

/**
 * The fleet rotator: one function for every service type. Secrets Manager of this account (and
 * only this account) may invoke it; it may read and write only secrets tagged as managed (or
 * being onboarded), and reaches KMS only through Secrets Manager.
 */
export class RotatorStack extends Stack {
  readonly rotator: LambdaFunction;
  /** The rotator placed in each VPC, by VPC id (what onboarding's ROTATOR_PLACEMENTS names). */
  readonly placements: Record<string, LambdaFunction> = {};

  constructor(scope: Construct, id: string, props: RotatorStackProps) {
    super(scope, id, props);
    const idempotency = idempotencyTable(this, 'IdempotencyTable');

    this.rotator = this.rotatorFunction('FleetRotator', 'fleet-rotator', props, idempotency, centralRoleName('rotator', this.region));

    // A rotator inside each VPC where services live, with a Secrets Manager endpoint there.
    for (const placement of props.placements ?? []) {
      const vpc = Vpc.fromVpcAttributes(this, `${placement.name}Vpc`, {
        vpcId: placement.vpcId,
        availabilityZones: placement.availabilityZones,
        privateSubnetIds: placement.subnetIds,
      });
      const securityGroups = placement.securityGroupIds.map((sg, i) => SecurityGroup.fromSecurityGroupId(this, `${placement.name}Sg${i}`, sg));
      const roleName = centralRoleName('rotator', this.region, placement.name);
      const fn = this.rotatorFunction(`FleetRotator${placement.name}`, `fleet-rotator-${placement.name}`, props, idempotency, roleName, {
        vpc,
        vpcSubnets: { subnets: vpc.privateSubnets },
        securityGroups,
      });
      if (placement.createSecretsManagerEndpoint !== false) {
        // The endpoint takes HTTPS from the rotator's security groups only.
        const endpointSg = new SecurityGroup(this, `${placement.name}EndpointSg`, { vpc, allowAllOutbound: false, description: 'AWS endpoints for the fleet rotator' });
        for (const sg of placement.securityGroupIds) endpointSg.addIngressRule(Peer.securityGroupId(sg), Port.tcp(443), 'fleet rotator to AWS endpoints');
        for (const [name, service] of [
          ['SecretsManager', InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
          ['EventBridge', InterfaceVpcEndpointAwsService.EVENTBRIDGE],
        ] as const) {
          new InterfaceVpcEndpoint(this, `${placement.name}${name}Endpoint`, {
            vpc,
            service,
            subnets: { subnets: vpc.privateSubnets },
            securityGroups: [endpointSg],
            open: false,
            privateDnsEnabled: true,
          });
        }
        if (placement.routeTableIds?.length) {
          new CfnVPCEndpoint(this, `${placement.name}DynamoDbEndpoint`, {
            vpcId: placement.vpcId,
            serviceName: `com.amazonaws.${this.region}.dynamodb`,
            vpcEndpointType: 'Gateway',
            routeTableIds: placement.routeTableIds,
          });
        }
      }
      this.placements[placement.vpcId] = fn;
    }

    new CfnOutput(this, 'FleetRotatorArn', { value: this.rotator.functionArn });
  }

  /** One rotator function: the code, the invoke grant for Secrets Manager of this account, and the tag-scoped role. */
  private rotatorFunction(id: string, functionName: string, props: RotatorStackProps, idempotency: Table, roleName: string, extra: Partial<FunctionProps> = {}): LambdaFunction {
    const rotator = productFunction(this, id, 'services/rotator/handler.ts', {
      functionName,
      roleName,
      ...extra,
      // A step may wait its turn under Secrets Manager's write quota when thousands of secrets fall
      // due in one window (services/rotator/write-pacer.ts): minutes, not the default 30 s.
      timeout: Duration.minutes(5),
      description: 'rotates credentials of every onboarded secret (Secrets Manager rotation function)',
      environment: {
        AUDIT_BUS_NAME: props.auditBus.eventBusName,
        IDEMPOTENCY_TABLE_NAME: idempotency.tableName,
        POWERTOOLS_SERVICE_NAME: 'fleet-rotator',
      },
      bundle: props.bundle,
    });
    rotator.addPermission('SecretsManagerRotation', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: this.account,
    });

    const secrets = `arn:${this.partition}:secretsmanager:${this.region}:${this.account}:secret:*`;
    const kmsKeys = `arn:${this.partition}:kms:${this.region}:${this.account}:key/*`;
    const rotate = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];
    rotator.addToRolePolicy(
      new PolicyStatement({ sid: 'RotateManagedSecrets', actions: rotate, resources: [secrets], conditions: { StringEquals: { [`secretsmanager:ResourceTag/${TAGS.managed}`]: 'true' } } }),
    );
    rotator.addToRolePolicy(
      new PolicyStatement({
        sid: 'PreflightSecretsBeingOnboarded',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [secrets],
        conditions: { Null: { [`secretsmanager:ResourceTag/${TAGS.onboardingId}`]: 'false' } },
      }),
    );
    // The admin credential behind a secret's masterarn: readable, never writable, once its owner tags it.
    rotator.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadAdminCredentials',
        // DescribeSecret too: the rotator checks the admin secret's owner tags before reading it.
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [secrets],
        conditions: { StringEquals: { [`secretsmanager:ResourceTag/${TAGS.adminCredential}`]: 'true' } },
      }),
    );
    // GetRandomPassword has no resource: it reads nothing.
    rotator.addToRolePolicy(new PolicyStatement({ sid: 'RandomPasswords', actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }));
    rotator.addToRolePolicy(
      new PolicyStatement({
        sid: 'KmsThroughSecretsManagerOnly',
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [kmsKeys],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
      }),
    );
    props.auditBus.grantPutEventsTo(rotator);
    // The last failure and success of each rotation, for the control plane (its table, by name: that stack depends on this one).
    rotator.addToRolePolicy(
      new PolicyStatement({ sid: 'RotationStatus', actions: [...RECORD_ACTIONS], resources: [`arn:${this.partition}:dynamodb:${this.region}:${this.account}:table/${RESOURCES.controlPlaneTable}`] }),
    );
    rotator.addEnvironment('RCP_TABLE_NAME', RESOURCES.controlPlaneTable);
    idempotency.grantReadWriteData(rotator);
    grantAssumeMemberRole(rotator, 'rotation', props.organization);

    const policy = rotator.role!.node.tryFindChild('DefaultPolicy')!;
    acknowledgeWildcard(policy, '*', 'GetRandomPassword, X-Ray PutTraceSegments/PutTelemetryRecords and (in a VPC) the network-interface calls have no resource-level permissions.');
    acknowledgeWildcard(
      policy,
      secrets,
      `Which secrets is decided by tag: only those tagged ${TAGS.managed}=true (or ${TAGS.onboardingId} or ${TAGS.adminCredential}, read-only).`,
    );
    acknowledgeWildcard(policy, kmsKeys, 'Usable only through Secrets Manager (kms:ViaService), for whichever key encrypts a managed secret.');
    Validations.of(rotator).acknowledge({ id: 'AwsSolutions-L1', reason: 'The product targets nodejs22.x (a fixed choice); the runtime moves with the project.' });

    return rotator;
  }
}

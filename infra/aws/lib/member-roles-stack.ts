import { Aws, CfnCondition, CfnOutput, CfnRule, Fn, Validations, type StackProps } from 'aws-cdk-lib';
import { CfnRole, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { MEMBER_ROLES, ONBOARDING_TAGS, TAGS } from '../../../shared/names.ts';
import { centralRolePatterns, type CentralRoleKind } from './central-role-names.ts';
import { TemplateOnlyStack } from './template-only-stack.ts';

/** Which central roles may assume each member role (by name, any region of the central account). */
export const MEMBER_ROLE_TRUST: Record<keyof typeof MEMBER_ROLES, CentralRoleKind[]> = {
  onboarding: ['onboarding', 'api'],
  rotation: ['rotator'],
  inventory: ['compliance', 'api'],
};

/**
 * The roles a member account lends the central account (deploy once per account: IAM is global).
 * Fixed names, so the central plane computes their ARNs; each trusts only the central account's
 * roles of the right kind, and only with the external id or from inside the organisation (both
 * when both are given). Parameters: CentralAccountId, ExternalId, OrganizationId.
 */
export class MemberRolesStack extends TemplateOnlyStack {
  readonly roles: Record<keyof typeof MEMBER_ROLES, CfnRole>;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'Secret rotation control plane, member account: the roles the central account assumes (onboarding, rotation, inventory)',
      ...props,
    });
    const centralAccount = this.parameter('CentralAccountId', {
      description: 'The account that runs the control plane and the fleet rotator',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'an AWS account id: 12 digits',
    }).valueAsString;
    const externalId = this.parameter('ExternalId', {
      description: 'The external id the central roles send (the control plane setting rcp:externalId); empty when OrganizationId is given instead',
      allowedPattern: '^$|^[\\w+=,.@:/-]{2,1224}$',
      constraintDescription: '2 to 1224 characters of letters, digits and +=,.@:/-',
      default: '',
    });
    const organizationId = this.parameter('OrganizationId', {
      description: "The organization's id: the central roles must belong to it (aws:PrincipalOrgID); empty to rely on ExternalId alone",
      allowedPattern: '^$|^o-[a-z0-9]{10,32}$',
      constraintDescription: 'an organization id (o-…) or empty',
      default: '',
    });

    const given = (p: { valueAsString: string }) => Fn.conditionNot(Fn.conditionEquals(p.valueAsString, ''));
    // A role that anyone in the central account's named roles could assume without either check would
    // be a confused deputy: refuse the stack instead.
    new CfnRule(this, 'ExternalIdOrOrganizationId', {
      assertions: [{ assert: Fn.conditionOr(given(externalId), given(organizationId)), assertDescription: 'Give ExternalId, OrganizationId, or both.' }],
    });
    const hasExternalId = new CfnCondition(this, 'HasExternalId', { expression: given(externalId) });
    const hasOrganizationId = new CfnCondition(this, 'HasOrganizationId', { expression: given(organizationId) });
    const hasBoth = new CfnCondition(this, 'HasExternalIdAndOrganizationId', { expression: Fn.conditionAnd(hasExternalId, hasOrganizationId) });
    const byExternalId = { 'sts:ExternalId': externalId.valueAsString };
    const byOrganization = { 'aws:PrincipalOrgID': organizationId.valueAsString };
    const proof = Fn.conditionIf(hasBoth.logicalId, { ...byExternalId, ...byOrganization }, Fn.conditionIf(hasOrganizationId.logicalId, byOrganization, byExternalId));

    const trust = (kinds: CentralRoleKind[]) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:${Aws.PARTITION}:iam::${centralAccount}:root` },
          Action: 'sts:AssumeRole',
          Condition: {
            ArnLike: { 'aws:PrincipalArn': centralRolePatterns(kinds).map((pattern) => `arn:${Aws.PARTITION}:iam::${centralAccount}:role/${pattern}`) },
            StringEquals: proof,
          },
        },
      ],
    });

    // Region `*`: one role serves the secrets of every region of this account.
    const secrets = `arn:${Aws.PARTITION}:secretsmanager:*:${Aws.ACCOUNT_ID}:secret:*`;
    const onSecrets = (sid: string, actions: string[], conditions?: Record<string, Record<string, unknown>>) =>
      new PolicyStatement({ sid, actions: actions.map((a) => `secretsmanager:${a}`), resources: [secrets], conditions });
    const markedByTheControlPlane = { Null: { [`secretsmanager:ResourceTag/${TAGS.onboardingId}`]: 'false' } };
    // Every tag key in the request is one of the product's; never the owner's rcp:team.
    const productTagsOnly = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ONBOARDING_TAGS }, Null: { 'aws:TagKeys': 'false' } };

    const onboarding = new PolicyDocument({
      statements: [
        onSecrets('DescribeSecrets', ['DescribeSecret', 'ListSecretVersionIds']),
        onSecrets('TagWithTheProductsTags', ['TagResource'], productTagsOnly),
        onSecrets('ChangeRotationOfMarkedSecrets', ['RotateSecret', 'CancelRotateSecret', 'UpdateSecretVersionStage'], markedByTheControlPlane),
        onSecrets('UntagTheProductsTagsOfMarkedSecrets', ['UntagResource'], {
          'ForAllValues:StringEquals': productTagsOnly['ForAllValues:StringEquals'],
          Null: { ...productTagsOnly.Null, ...markedByTheControlPlane.Null },
        }),
        // RotateSecret checks that its caller may invoke the rotation function it names.
        new PolicyStatement({
          sid: 'InvokeTheCentralRotators',
          actions: ['lambda:InvokeFunction'],
          resources: [`arn:${Aws.PARTITION}:lambda:*:${centralAccount}:function:fleet-rotator*`],
        }),
      ],
    });

    const rotation = new PolicyDocument({
      statements: [
        onSecrets('RotateManagedSecrets', ['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage'], {
          StringEquals: { [`secretsmanager:ResourceTag/${TAGS.managed}`]: 'true' },
        }),
        onSecrets('PreflightSecretsBeingOnboarded', ['DescribeSecret', 'GetSecretValue'], markedByTheControlPlane),
        onSecrets('ReadAdminCredentials', ['DescribeSecret', 'GetSecretValue'], { StringEquals: { [`secretsmanager:ResourceTag/${TAGS.adminCredential}`]: 'true' } }),
        new PolicyStatement({ sid: 'RandomPasswords', actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }),
        new PolicyStatement({
          sid: 'KmsThroughSecretsManagerOnly',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [`arn:${Aws.PARTITION}:kms:*:${Aws.ACCOUNT_ID}:key/*`],
          conditions: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
        }),
      ],
    });

    const inventory = new PolicyDocument({
      statements: [
        new PolicyStatement({ sid: 'ListSecrets', actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
        onSecrets('DescribeSecrets', ['DescribeSecret', 'ListSecretVersionIds']),
        // Nothing above allows reading a value; this keeps it so whatever else is ever attached.
        new PolicyStatement({ sid: 'NeverReadValues', effect: Effect.DENY, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'], resources: ['*'] }),
      ],
    });

    const role = (key: keyof typeof MEMBER_ROLES, policy: PolicyDocument, description: string) => {
      const id = `${key.charAt(0).toUpperCase()}${key.slice(1)}Role`;
      const r = new CfnRole(this, id, {
        roleName: MEMBER_ROLES[key],
        description,
        assumeRolePolicyDocument: trust(MEMBER_ROLE_TRUST[key]),
        policies: [{ policyName: MEMBER_ROLES[key], policyDocument: policy }],
      });
      new CfnOutput(this, `${id}Arn`, { value: r.attrArn });
      return r;
    };
    this.roles = {
      onboarding: role('onboarding', onboarding, 'Secret rotation control plane: onboarding and offboarding (describe, tag, rotate, cancel; no secret values)'),
      rotation: role('rotation', rotation, 'Secret rotation control plane: the fleet rotator (values of managed secrets only)'),
      inventory: role('inventory', inventory, 'Secret rotation control plane: compliance inventory (list and describe; values denied)'),
    };

    const acknowledge = (r: CfnRole, finding: string, reason: string) => Validations.of(r).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    for (const r of Object.values(this.roles)) {
      acknowledge(r, 'Resource::arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*', 'Any secret of this account, in any region (IAM is global); what may change which secret is decided by the product\'s tags in each statement\'s condition.');
    }
    acknowledge(this.roles.onboarding, 'Resource::arn:<AWS::Partition>:lambda:*:<CentralAccountId>:function:fleet-rotator*', "RotateSecret requires its caller to be allowed to invoke the rotation function: the central account's fleet rotators (any region, placed ones included).");
    acknowledge(this.roles.rotation, 'Resource::*', 'GetRandomPassword has no resource: it reads nothing.');
    acknowledge(this.roles.rotation, 'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*', 'Usable only through Secrets Manager (kms:ViaService), for whichever key encrypts a managed secret.');
    acknowledge(this.roles.inventory, 'Resource::*', 'ListSecrets has no resource-level permission; the other statement with * is a Deny.');
  }
}

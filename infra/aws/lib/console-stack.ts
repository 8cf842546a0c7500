import { CfnOutput, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat, ApiDefinition, LogGroupLogDestination, MethodLoggingLevel, SpecRestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AccountRecovery, CfnUserPoolGroup, FeaturePlan, Mfa, OAuthScope, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { COGNITO_GROUPS } from '../../../shared/names.ts';
import { apiGatewayDefinition } from './api-definition.ts';
import { acknowledgeWildcard } from './nag.ts';

export interface ConsoleStackProps extends StackProps {
  /** The REST API's function (ControlPlaneStack): the console's API proxies to it, as the IAM API does. */
  readonly apiFunction: IFunction;
  /** Teams that get a `team-<name>` group in the user pool (the values of rcp:teamPrincipals). */
  readonly teams: string[];
  /** The built console (services/console/dist) to upload; none when synthesising without code (bundle: false). */
  readonly consoleDir?: string;
}

// The page may talk to its own origin (the API is under /v1/*) and to Cognito for sign-in.
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' https://*.amazoncognito.com https://cognito-idp.*.amazonaws.com",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self' https://*.amazoncognito.com",
].join('; ');

// A view's URL (a deep link) is no file in the bucket: it gets index.html and the console's router shows the view.
const SPA_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

/**
 * The web console on AWS: its files in a private bucket that only CloudFront reads (origin access
 * control), the API under the same origin (/v1/* to an API Gateway stage that takes the console's
 * Cognito tokens and proxies to the same API function as the IAM API), and a Cognito user pool
 * whose groups say each user's team (`team-<name>`) and whether they audit (`auditors`).
 */
export class ConsoleStack extends Stack {
  readonly distribution: Distribution;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly api: SpecRestApi;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);

    const logs = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are written with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket of the console bucket and distribution; logging it to itself would loop.' });

    const site = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    this.userPool = new UserPool(this, 'Users', {
      userPoolName: 'rcp-console',
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const id of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      Validations.of(this.userPool).acknowledge({ id, reason: 'Threat protection (the Plus plan) is priced per user; MFA is required for every user, no one can sign up, and the deploying organisation may raise the plan.' });
    }
    new CfnUserPoolGroup(this, 'AuditorsGroup', { userPoolId: this.userPool.userPoolId, groupName: COGNITO_GROUPS.auditors, description: "Reads the whole organisation's compliance" });
    for (const team of [...new Set(props.teams)].sort()) {
      new CfnUserPoolGroup(this, `Team${team.replace(/[^A-Za-z0-9]/g, '')}Group`, { userPoolId: this.userPool.userPoolId, groupName: `${COGNITO_GROUPS.teamPrefix}${team}`, description: `Members of team ${team}` });
    }
    const domain = this.userPool.addDomain('SignIn', { cognitoDomain: { domainPrefix: `rcp-console-${this.account}` } });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_YEAR });
    this.api = new SpecRestApi(this, 'ConsoleApi', {
      restApiName: 'rcp-console-api',
      apiDefinition: ApiDefinition.fromInline(apiGatewayDefinition(this, props.apiFunction, { cognitoUserPoolArn: this.userPool.userPoolArn })),
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'console',
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // The permission lives here (not on the function's stack), so the two stacks do not depend on each other both ways.
    new CfnPermission(this, 'ConsoleApiInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: props.apiFunction.functionArn,
      principal: new ServicePrincipal('apigateway.amazonaws.com').service,
      sourceArn: this.api.arnForExecuteApi('*', '/*', '*'),
    });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG2', reason: 'Request validation is in the definition: every operation uses the "all" validator (body and parameters) from openapi.yaml.' });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: "Every operation but the health check uses the console user pool's Cognito authoriser, set in the definition." });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-COG4', reason: "Every operation but the health check uses the console user pool's Cognito authoriser, set in the definition." });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG3', reason: "Reached through the console's CloudFront distribution; a WAF web ACL is the deploying organisation's choice." });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Secret rotation control plane: web console and its API',
      defaultRootObject: 'index.html',
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(site),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        functionAssociations: [{ eventType: FunctionEventType.VIEWER_REQUEST, function: new CloudFrontFunction(this, 'SpaRewrite', { code: FunctionCode.fromInline(SPA_REWRITE), runtime: FunctionRuntime.JS_2_0 }) }],
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new RestApiOrigin(this.api),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
    });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR1', reason: 'An internal console for the organisation; where its users are is not restricted by country.' });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR2', reason: "A WAF web ACL (in us-east-1) is the deploying organisation's choice; every API call needs a Cognito token." });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR4', reason: "The distribution's default *.cloudfront.net certificate; a custom domain with TLSv1.2_2021 is the deploying organisation's choice." });

    const signInUrl = `https://${this.distribution.distributionDomainName}/sign-in`;
    this.client = this.userPool.addClient('Console', {
      userPoolClientName: 'rcp-console',
      generateSecret: false,
      preventUserExistenceErrors: true,
      authFlows: { userSrp: true },
      oAuth: { flows: { authorizationCodeGrant: true }, scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE], callbackUrls: [signInUrl], logoutUrls: [signInUrl] },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });

    if (props.consoleDir) {
      // The console reads how to sign in from config.json: Cognito here, the team token locally.
      const deployment = new BucketDeployment(this, 'Files', {
        destinationBucket: site,
        sources: [
          Source.asset(props.consoleDir),
          Source.jsonData('config.json', {
            auth: { kind: 'cognito', authority: `https://cognito-idp.${this.region}.amazonaws.com/${this.userPool.userPoolId}`, domain: domain.baseUrl(), clientId: this.client.userPoolClientId, redirectUri: signInUrl },
          }),
        ],
        distribution: this.distribution,
        distributionPaths: ['/index.html', '/config.json'],
        prune: true,
      });
      for (const child of this.node.children) {
        if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
          Validations.of(child).acknowledge({ id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment handler: its runtime is CDK's choice and moves with aws-cdk-lib." });
          Validations.of(child).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: "CDK's BucketDeployment handler's role: logging only." });
          const copies = "CDK's BucketDeployment handler copies the console's asset from CDK's asset bucket into the console bucket (the object-level grants CDK makes for those two) and invalidates the distribution (no resource-level permission).";
          for (const wildcard of ['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Resource::*']) {
            Validations.of(child).acknowledge({ id: `AwsSolutions-IAM5[${wildcard}]`, reason: copies });
          }
          acknowledgeWildcard(child, `${site.bucketArn}/*`, copies);
          acknowledgeWildcard(child, `arn:${this.partition}:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${this.account}-${this.region}/*`, copies);
        }
      }
      void deployment;
    }

    new CfnOutput(this, 'ConsoleUrl', { value: `https://${this.distribution.distributionDomainName}/`, description: 'The web console' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Add users here, in a team-<name> group (or auditors)' });
  }
}

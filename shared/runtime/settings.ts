import { RESOURCES } from '../names.ts';

/** The environment a function runs with: `process.env` in Lambda, an explicit map in the embedded default. */
export type Environment = Record<string, string | undefined>;

/** How to reach AWS (or the local cloud that stands in for it): only the endpoint differs. */
export interface AwsSettings {
  region: string;
  /** The standard `AWS_ENDPOINT_URL`: the local cloud's address in the embedded default, unset on AWS. */
  endpoint?: string;
  /** Static keys when the environment carries them (Lambda's execution role, the local cloud's session). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  /**
   * The SDK's retry mode: `adaptive` (the default) also slows every later call of the client after a
   * throttle; a caller that paces its own calls to the quota (the fleet rotator) uses `standard`.
   */
  retryMode?: 'standard' | 'adaptive';
}

export function awsSettings(env: Environment): AwsSettings {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
    maxAttempts: positiveInt(env.AWS_MAX_ATTEMPTS, 5),
  };
}

/** The names of the product's own resources, as the stacks set them in each function's environment. */
export interface ResourceNames {
  controlPlaneTable: string;
  rotatorIdempotencyTable: string;
  apiIdempotencyTable: string;
  auditBus: string;
}

export function resourceNames(env: Environment): ResourceNames {
  return {
    controlPlaneTable: env.RCP_TABLE_NAME || RESOURCES.controlPlaneTable,
    rotatorIdempotencyTable: env.IDEMPOTENCY_TABLE_NAME || RESOURCES.rotatorIdempotencyTable,
    apiIdempotencyTable: env.API_IDEMPOTENCY_TABLE_NAME || RESOURCES.apiIdempotencyTable,
    auditBus: env.AUDIT_BUS_NAME || RESOURCES.auditBus,
  };
}

/** Where the audit trail lives and how long it keeps an event. */
export function auditTrailSettings(env: Environment): { table: string; retentionDays: number } {
  return { table: env.AUDIT_TRAIL_TABLE_NAME || RESOURCES.auditTrailTable, retentionDays: positiveInt(env.AUDIT_TRAIL_RETENTION_DAYS, 365) };
}

export function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The account an ARN names (the 5th field). */
export const accountOf = (arn: string): string | undefined => arn.split(':')[4] || undefined;
/** The region an ARN names (the 4th field). */
export const regionOf = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/**
 * The account and region a function runs in. The stacks set RCP_ACCOUNT_ID on every function (Lambda
 * itself does not say); the local cloud sets AWS_ACCOUNT_ID, as LocalStack does.
 */
export function homeOf(env: Environment): { account: string; region: string } {
  const account = env.RCP_ACCOUNT_ID || env.AWS_ACCOUNT_ID;
  if (!account || !/^\d{12}$/.test(account)) throw new Error('RCP_ACCOUNT_ID is not set to the 12-digit account this function runs in (the stacks set it)');
  return { account, region: awsSettings(env).region };
}

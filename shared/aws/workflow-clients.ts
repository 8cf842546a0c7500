import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AwsClients } from './clients.ts';

/**
 * Lambda and Step Functions clients, for the functions that drive the workflow (API, onboarding).
 * Apart from AwsClients so the fleet rotator's bundle does not load them at every cold start.
 */
export const lambdaClient = (clients: AwsClients): LambdaClient => clients.once('lambda', () => new LambdaClient(clients.config()));
export const sfnClient = (clients: AwsClients): SFNClient => clients.once('sfn', () => new SFNClient(clients.config()));

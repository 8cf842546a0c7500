import type { Context } from 'aws-lambda';
import { createRotatorHandler } from '../../services/rotator/composition.ts';

// The fleet rotator in a process of its own, so a test can kill it mid-step as a crash would:
// `tsx test/support/rotator-process.ts '<event JSON>'` with the function's environment. Its
// invocation claims fifteen minutes, so anything that waited for its deadline would be seen to.
const handler = createRotatorHandler(process.env);
const context = {
  awsRequestId: `child-${process.pid}`,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'fleet-rotator',
  getRemainingTimeInMillis: () => 15 * 60_000,
} as unknown as Context;
await handler(JSON.parse(process.argv[2]!), context);
console.log('step finished');

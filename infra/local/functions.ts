import type { BuiltinFunction } from './cloud/services/lambda/functions.ts';

/**
 * The Lambda functions the embedded default runs in the local cloud's process. Each is loaded
 * only here, so `npm run cloud` starts without them when they are not built yet.
 */
export async function builtinFunctions(): Promise<BuiltinFunction[]> {
  return [];
}

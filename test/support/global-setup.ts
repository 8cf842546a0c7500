import type { TestProject } from 'vitest/node';
import { ensureConsoleBuilt } from '../../infra/local/console-files.ts';
import { startCloudProcess, tempStateDir } from './cloud-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cloudUrl: string;
  }
}

/** One local cloud for the whole run (scheduler off: tests drive it through /_local). */
export default async function setup(project: TestProject) {
  // Once, before any test starts a stack: the stacks then find the console built and fresh.
  await ensureConsoleBuilt();
  const cloud = await startCloudProcess({ stateDir: await tempStateDir('shared-cloud') });
  project.provide('cloudUrl', cloud.url);
  return async () => {
    await cloud.stop();
  };
}

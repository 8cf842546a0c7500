import type { TestProject } from 'vitest/node';
import { startCloudProcess, tempStateDir } from './cloud-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cloudUrl: string;
  }
}

/** One local cloud for the whole run (scheduler off: tests drive it through /_local). */
export default async function setup(project: TestProject) {
  const cloud = await startCloudProcess({ stateDir: await tempStateDir('shared-cloud') });
  project.provide('cloudUrl', cloud.url);
  return async () => {
    await cloud.stop();
  };
}

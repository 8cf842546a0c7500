/** Reading a secret's VersionIdsToStages (as DescribeSecret returns it). */
export type StagesByVersion = Record<string, string[]> | undefined;

export function versionWithStage(stages: StagesByVersion, stage: string): string | undefined {
  return Object.entries(stages ?? {}).find(([, labels]) => labels.includes(stage))?.[0];
}

/** The version of a rotation that has not finished: AWSPENDING without AWSCURRENT. */
export function unfinishedPendingVersion(stages: StagesByVersion): string | undefined {
  return Object.entries(stages ?? {}).find(([, labels]) => labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT'))?.[0];
}

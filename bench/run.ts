import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/support/cloud-process.ts';
import { burstBench } from './burst-bench.ts';
import { enginesBench } from './engines-bench.ts';
import { onboardingBench } from './onboarding-bench.ts';
import { rotatorBench } from './rotator-bench.ts';
import { complianceBench } from './compliance-bench.ts';

/**
 * `npm run bench`: speed and size figures, each printed beside its goal (no pass/fail thresholds
 * in the test suite). BENCH_ONLY=rotator,burst,onboarding,engines,compliance picks parts; every size has its
 * own variable (bench/README.md).
 */
const PARTS = { rotator: rotatorBench, burst: burstBench, onboarding: onboardingBench, engines: enginesBench, compliance: complianceBench } as const;
const only = (process.env.BENCH_ONLY ?? Object.keys(PARTS).join(',')).split(',').map((p) => p.trim());
const unknown = only.filter((p) => !(p in PARTS));
if (unknown.length) throw new Error(`BENCH_ONLY names no part ${unknown.join(', ')}: use ${Object.keys(PARTS).join(', ')}`);
await mkdir(join(PROJECT_ROOT, '.test-tmp'), { recursive: true });
for (const part of only) await PARTS[part as keyof typeof PARTS]();

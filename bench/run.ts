import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/support/cloud-process.ts';
import { enginesBench } from './engines-bench.ts';
import { rotatorBench } from './rotator-bench.ts';
import { complianceBench } from './compliance-bench.ts';

/** `npm run bench`: speed and size figures, printed (no pass/fail thresholds in the test suite). */
await mkdir(join(PROJECT_ROOT, '.test-tmp'), { recursive: true });
await rotatorBench();
await enginesBench();
await complianceBench();

import { parseArgs } from 'node:util';
import { buildConsole, ensureConsoleBuilt } from '../infra/local/console-files.ts';

/**
 * `npm run build:console`: builds the web console into services/console/dist (with the stamp of its
 * sources that npm start and the CDK app check). `--if-stale` builds only when the sources changed.
 */
const { values } = parseArgs({ options: { 'if-stale': { type: 'boolean', default: false } } });
const started = Date.now();
const { built, dir } = values['if-stale'] ? await ensureConsoleBuilt() : await buildConsole();
console.error(built ? `built the web console into ${dir} in ${Date.now() - started} ms` : `the web console in ${dir} is up to date`);

import { buildSync, type Metafile } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * How every Lambda of the product is bundled, for the CDK app and for `npm run bench` alike:
 * esbuild, ESM for Node 22, the SDK's ESM builds (they tree-shake to a third of the CommonJS
 * size), minified, and code splitting so a plugin's driver loads only when a secret of its kind
 * turns up. The entry is `handler.mjs` in `outdir`.
 */
export function bundleLambda(entry: string, outdir: string): Metafile {
  const result = buildSync({
    entryPoints: { handler: join(PROJECT_ROOT, entry) },
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    splitting: true,
    mainFields: ['module', 'main'],
    outdir,
    metafile: true,
    logLevel: 'error',
    banner: { js: "import{createRequire}from'node:module';const require=createRequire(import.meta.url);" },
  });
  return result.metafile;
}

/** Bundles a benchmark child script so it runs on plain `node`. */
import { build } from 'esbuild';
import { root } from './common';

/**
 * Bundles scripts/bench/<script> and what it imports (jose, local/) into one ESM file in `outdir`, so
 * it runs on plain `node`: tsx's loader runs a worker thread that adds some 30 MiB of RSS.
 */
export async function compileScript(script: string, outdir: string): Promise<string> {
  const outfile = `${outdir}/${script.replace(/\.ts$/, '.mjs')}`;
  await build({ entryPoints: [`${root}scripts/bench/${script}`], outfile, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning' });
  return outfile;
}

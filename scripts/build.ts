/**
 * Bundles each function in functions/ into dist/<function>/index.js: one self-contained CommonJS
 * file exporting `handler`, which is what s.yaml deploys.
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printUsageIfAsked } from './cli';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The functions of the project: the folders of functions/. */
export function functionNames(): string[] {
  return readdirSync(`${root}functions`).filter((name) => statSync(`${root}functions/${name}`).isDirectory());
}

/** Bundles every function into `<outdir>/<function>/index.js`; resolves with each bundle's path and size. */
export async function buildFunctions(outdir = `${root}dist`): Promise<{ name: string; file: string; bytes: number }[]> {
  rmSync(outdir, { recursive: true, force: true });
  const built = [];
  for (const name of functionNames()) {
    const file = `${outdir}/${name}/index.js`;
    await build({
      entryPoints: [`${root}functions/${name}/index.ts`],
      outfile: file,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'eof',
      logLevel: 'warning',
    });
    mkdirSync(`${outdir}/${name}`, { recursive: true });
    // The project is "type": "module"; this marks the bundle as CommonJS wherever it is loaded.
    writeFileSync(`${outdir}/${name}/package.json`, '{ "type": "commonjs" }\n');
    built.push({ name, file, bytes: statSync(file).size });
  }
  return built;
}

const USAGE = `Usage: npm run build

Bundles each function of functions/ into dist/<function>/index.js (esbuild, CommonJS, Node.js 20),
the file s.yaml deploys and npm run invoke runs, and prints each bundle's size.`;

if (process.argv[1] === fileURLToPath(import.meta.url) && !printUsageIfAsked(process.argv.slice(2), USAGE)) {
  for (const { name, bytes } of await buildFunctions()) console.log(`dist/${name}/index.js  ${(bytes / 1024).toFixed(1)} KiB`);
}

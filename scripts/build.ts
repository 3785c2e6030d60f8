/**
 * Bundles each function in functions/ into dist/<function>/index.js: one self-contained CommonJS
 * file exporting `handler`, which is what s.yaml deploys.
 */
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const functions = readdirSync(`${root}functions`).filter((name) => statSync(`${root}functions/${name}`).isDirectory());

rmSync(`${root}dist`, { recursive: true, force: true });
for (const name of functions) {
  const outfile = `${root}dist/${name}/index.js`;
  await build({
    entryPoints: [`${root}functions/${name}/index.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // The project is "type": "module"; this marks the bundle as CommonJS wherever it is loaded.
  writeFileSync(`${root}dist/${name}/package.json`, '{ "type": "commonjs" }\n');
  console.log(`dist/${name}/index.js  ${(statSync(outfile).size / 1024).toFixed(1)} KiB`);
}

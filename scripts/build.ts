/**
 * Bundles what s.yaml and s.web.yaml deploy, each one self-contained CommonJS file:
 * - the event profile: each function in functions/<name>/index.ts into dist/<name>/index.js,
 *   exporting `handler` (FC's `index.handler`);
 * - the web profile: functions/web/server.ts, both functions behind one node:http server, into
 *   dist/web/server.js (the custom runtime's start command runs it).
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printUsageIfAsked } from './cli';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The event functions of the project: the folders of functions/ with an index.ts. */
export function functionNames(): string[] {
  return readdirSync(`${root}functions`).filter((name) => statSync(`${root}functions/${name}`).isDirectory() && existsSync(`${root}functions/${name}/index.ts`));
}

/** A built bundle: an event function's handler, or the web profile's server (`web`). */
export interface BuiltBundle {
  name: string;
  kind: 'event' | 'web';
  file: string;
  bytes: number;
}

/** Bundles every event function and the web server into `outdir`; resolves with each bundle's path and size. */
export async function buildFunctions(outdir = `${root}dist`): Promise<BuiltBundle[]> {
  rmSync(outdir, { recursive: true, force: true });
  const built: BuiltBundle[] = [];
  const entries = [
    ...functionNames().map((name) => ({ name, kind: 'event' as const, entry: `functions/${name}/index.ts`, file: 'index.js' })),
    { name: 'web', kind: 'web' as const, entry: 'functions/web/server.ts', file: 'server.js' },
  ];
  for (const { name, kind, entry, file: fileName } of entries) {
    const file = `${outdir}/${name}/${fileName}`;
    await build({
      entryPoints: [`${root}${entry}`],
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
    built.push({ name, kind, file, bytes: statSync(file).size });
  }
  return built;
}

const USAGE = `Usage: npm run build

Bundles each event function of functions/ into dist/<function>/index.js (the file s.yaml deploys and
npm run invoke runs) and the web profile's server into dist/web/server.js (what s.web.yaml deploys),
with esbuild (CommonJS, Node.js 20), and prints each bundle's size.`;

if (process.argv[1] === fileURLToPath(import.meta.url) && !printUsageIfAsked(process.argv.slice(2), USAGE)) {
  for (const { file, bytes } of await buildFunctions()) console.log(`${file.slice(root.length)}  ${(bytes / 1024).toFixed(1)} KiB`);
}

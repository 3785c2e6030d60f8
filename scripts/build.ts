/**
 * Bundles what s.yaml and s.web.yaml deploy, each one self-contained CommonJS file:
 * - the event profile: each function in functions/<name>/index.ts into dist/<name>/index.js,
 *   exporting `handler` (FC's `index.handler`);
 * - the web profile: functions/web/server.ts, both functions behind one node:http server, into
 *   dist/web/server.js (the custom runtime's start command runs it);
 * - next to each of them, the shared credential cache's Redis store with its client (ioredis) in
 *   `shared-cache.js`, which the bundle requires only when `TVM_SHARED_CACHE_URL` is set: a
 *   function without the shared cache never reads it (README, "Performance").
 */
import { type BuildOptions, type Plugin, build } from 'esbuild';
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
  /** The lazily loaded Redis store next to it, and its size. */
  sharedCache: { file: string; bytes: number };
}

/** The file next to each bundle that holds the Redis store and its client. */
export const SHARED_CACHE_FILE = 'shared-cache.js';

/**
 * Turns the loader's `import('./redis-store')` into `require('./shared-cache.js')`, resolved next
 * to the bundle when it runs: the import gets a one-line module that requires the file, which stays
 * outside the bundle.
 */
const lazySharedCache: Plugin = {
  name: 'lazy-shared-cache',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/redis-store$/ }, (args) => (args.importer.endsWith('load-redis-store.ts') ? { path: SHARED_CACHE_FILE, namespace: 'lazy-shared-cache' } : undefined));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-shared-cache' }, () => ({ contents: `module.exports = require('./${SHARED_CACHE_FILE}');`, loader: 'js' }));
    pluginBuild.onResolve({ filter: new RegExp(`^\\./${SHARED_CACHE_FILE.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
  },
};

const COMMON: BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'eof', logLevel: 'warning' };

/** Bundles every event function and the web server into `outdir`; resolves with each bundle's path and size. */
export async function buildFunctions(outdir = `${root}dist`): Promise<BuiltBundle[]> {
  rmSync(outdir, { recursive: true, force: true });
  const built: BuiltBundle[] = [];
  const entries = [
    ...functionNames().map((name) => ({ name, kind: 'event' as const, entry: `functions/${name}/index.ts`, file: 'index.js' })),
    { name: 'web', kind: 'web' as const, entry: 'functions/web/server.ts', file: 'server.js' },
  ];
  // The Redis store is the same file beside every bundle: built once, written next to each.
  const sharedCache = await build({ ...COMMON, entryPoints: [`${root}shared/sts/shared-cache/redis-store.ts`], outfile: SHARED_CACHE_FILE, write: false });
  const sharedCacheContents = sharedCache.outputFiles[0]?.contents ?? new Uint8Array();
  for (const { name, kind, entry, file: fileName } of entries) {
    const file = `${outdir}/${name}/${fileName}`;
    await build({ ...COMMON, entryPoints: [`${root}${entry}`], outfile: file, plugins: [lazySharedCache] });
    mkdirSync(`${outdir}/${name}`, { recursive: true });
    const sharedCacheFile = `${outdir}/${name}/${SHARED_CACHE_FILE}`;
    writeFileSync(sharedCacheFile, sharedCacheContents);
    // The project is "type": "module"; this marks the bundle as CommonJS wherever it is loaded.
    writeFileSync(`${outdir}/${name}/package.json`, '{ "type": "commonjs" }\n');
    built.push({ name, kind, file, bytes: statSync(file).size, sharedCache: { file: sharedCacheFile, bytes: statSync(sharedCacheFile).size } });
  }
  return built;
}

const USAGE = `Usage: npm run build

Bundles each event function of functions/ into dist/<function>/index.js (the file s.yaml deploys and
npm run invoke runs) and the web profile's server into dist/web/server.js (what s.web.yaml deploys),
with esbuild (CommonJS, Node.js 20), each with the shared credential cache's Redis client beside it
(shared-cache.js, loaded only when TVM_SHARED_CACHE_URL is set), and prints each file's size.`;

if (process.argv[1] === fileURLToPath(import.meta.url) && !printUsageIfAsked(process.argv.slice(2), USAGE)) {
  for (const { file, bytes, sharedCache } of await buildFunctions()) {
    console.log(`${file.slice(root.length)}  ${(bytes / 1024).toFixed(1)} KiB`);
    console.log(`${sharedCache.file.slice(root.length)}  ${(sharedCache.bytes / 1024).toFixed(1)} KiB (loaded only with TVM_SHARED_CACHE_URL)`);
  }
}

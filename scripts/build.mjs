// Builds what ships: Node ESM (engine, manifest tool), browser bundles (page client, cache
// worker, service worker, service-worker handler) and type declarations, then prints the
// size of every browser bundle (raw, gzip, brotli) against its budget.
//
// Every bundle carries its dependencies, the Node ones too, so the package has no runtime
// dependency to install beyond what its public types name (see package.json). Source maps are
// left out (the package ships the minified bundles and the type declarations); pass
// `--sourcemap` for linked maps while debugging a build locally.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
rmSync('dist', { recursive: true, force: true });

const sourcemap = process.argv.includes('--sourcemap') ? 'linked' : false;
const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap, logLevel: 'warning', legalComments: 'none' };

// Node: bundled whole. CommonJS dependencies inside an ESM bundle need a `require`.
const nodeBanner = "import { createRequire as __repriseRequire } from 'node:module'; const require = __repriseRequire(import.meta.url);";
await build({ ...common, platform: 'node', target: 'node20', minifyWhitespace: true, minifySyntax: true, banner: { js: nodeBanner }, entryPoints: { engine: 'src/engine/index.ts', cli: 'src/cli/main.ts' }, outdir: 'dist/node' });

/** Budgets in brotli bytes. The page client aims at comlink's own size class (issue 5). */
const browserEntries = [
  { name: 'client', entry: 'src/client/index.ts', budget: 6.5 * 1024, format: 'esm' }, // 6.0 until the service worker's direct line (ReaderPorts, +0.2 kB)
  { name: 'cache-worker', entry: 'worker/cache-worker.ts', budget: 51 * 1024, format: 'esm' }, // 48.5, then 49 until reprise checked trusted keys for points of P-256 itself (WebKit imports off-curve points; 49.1 kB), then 50 until manifest requests got their stall bound, tabs their hand-over of a closed store and the request slots their estimate of a body's end (50.2 kB)
  { name: 'service-worker', entry: 'worker/service-worker.ts', budget: 20 * 1024, format: 'iife' },
  { name: 'sw-handler', entry: 'src/playback/index.ts', budget: 20 * 1024, format: 'esm' },
].filter((e) => existsSync(e.entry));

for (const e of browserEntries) {
  await build({ ...common, format: e.format, platform: 'browser', minify: true, entryPoints: { [e.name]: e.entry }, outdir: 'dist/browser', metafile: false });
}
// `reprise/service-worker.js` is a real file at the package root, so that
// `cp node_modules/reprise/service-worker.js public/sw.js` works (and `reprise sw copy`).
copyFileSync('dist/browser/service-worker.js', 'service-worker.js');

execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

const rows = browserEntries.map((e) => {
  const code = readFileSync(`dist/browser/${e.name}.js`);
  const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { bundle: `${e.name}.js`, raw: code.length, gzip: gzipSync(code, { level: 9 }).length, brotli, budget: e.budget, ok: brotli <= e.budget };
});
if (rows.length) {
  const fmt = (n) => `${(n / 1024).toFixed(1)} kB`;
  console.log('\nbundle sizes (browser, minified):');
  for (const r of rows) console.log(`  ${r.bundle.padEnd(20)} ${fmt(r.raw).padStart(9)} raw ${fmt(r.gzip).padStart(9)} gzip ${fmt(r.brotli).padStart(9)} brotli  (budget ${fmt(r.budget)}${r.ok ? '' : ' — OVER'})`);
  writeFileSync('dist/sizes.json', JSON.stringify(rows, null, 2));
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

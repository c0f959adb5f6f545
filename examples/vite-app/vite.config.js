// No import from vite itself: a plain config object works with Vite 5 to 8.
import { readdirSync, readFileSync } from 'node:fs';

/** The public keys in keys/ (from `npm run keys`), compiled into the app build as trusted keys. */
const trustedKeys = readdirSync('keys')
  .filter((f) => f.endsWith('.public.jwk'))
  .map((f) => JSON.parse(readFileSync(`keys/${f}`, 'utf8')));

/** Lists the built files in shell.json, which public/sw.js caches at install: the app shell. */
const shellList = {
  name: 'shell-list',
  generateBundle(_options, bundle) {
    const files = ['./', 'index.html', ...Object.keys(bundle)];
    this.emitFile({ type: 'asset', fileName: 'shell.json', source: JSON.stringify(files) });
  },
};

export default {
  base: './',
  define: { __TRUSTED_KEYS__: JSON.stringify(trustedKeys) },
  // Dev server only: pre-bundling would move reprise's client away from cache-worker.js,
  // the file it starts with new URL('./cache-worker.js', import.meta.url).
  optimizeDeps: { exclude: ['reprise'] },
  plugins: [shellList],
};

import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The page's code imports reprise's client by its source path (for types); in the browser it
 * must use the shipped bundle, as an app would: `/reprise/client.js`.
 */
const shippedClient: Plugin = {
  name: 'reprise-client',
  setup(b) {
    b.onResolve({ filter: /src\/client\/index\.js$/ }, () => ({ path: '/reprise/client.js', external: true }));
  },
};

/** Bundles the demo page (`demo/app/main.ts`) and its service worker (`demo/sw/demo-sw.ts`) in memory, at server start. */
export async function bundlePage(): Promise<{ app: string; sw: string }> {
  const common = { bundle: true, write: false, target: 'es2022', platform: 'browser', logLevel: 'warning', legalComments: 'none' } as const;
  const [app, sw] = await Promise.all([
    build({ ...common, format: 'esm', entryPoints: [here + 'app/main.ts'], plugins: [shippedClient] }),
    build({ ...common, format: 'iife', entryPoints: [here + 'sw/demo-sw.ts'] }),
  ]);
  return { app: app.outputFiles[0]!.text, sw: sw.outputFiles[0]!.text };
}

import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const root = new URL('../../', import.meta.url).pathname;
const exec = promisify(execFile);

/** What `npm pack` would put in the tarball (without running prepack: `npm test` has built). */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  return (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe('the package', () => {
  it('every export (types first) points at a built file', () => {
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      const targets = typeof target === 'string' ? { default: target } : target;
      if (typeof target !== 'string') expect(Object.keys(target)[0], entry).toBe('types');
      for (const file of Object.values(targets)) expect(existsSync(new URL(`../../${file}`, import.meta.url)), `${entry} → ${file}`).toBe(true);
    }
    expect(existsSync(new URL(`../../${pkg.bin.reprise}`, import.meta.url))).toBe(true);
  });

  it('packs from a clean clone: prepack builds, and the tarball holds the code, not source maps or screenshots', async () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
    const files = await packedFiles();
    for (const f of ['dist/browser/client.js', 'dist/browser/cache-worker.js', 'dist/node/engine.js', 'dist/node/cli.js', 'service-worker.js', 'bin/reprise.js', 'LICENSE', 'CHANGELOG.md', 'docs/how-it-works.md']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /\.(map|png|jpe?g)$/.test(f))).toEqual([]);
  });

  it('service-worker.js at the package root is the ready-made service worker, a real file to copy', () => {
    expect(pkg.exports['./service-worker.js']).toBe('./service-worker.js');
    expect(readFileSync(new URL('../../service-worker.js', import.meta.url))).toEqual(readFileSync(new URL('../../dist/browser/service-worker.js', import.meta.url)));
  });

  it('the Node bundles carry their dependencies: they import Node built-ins only', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const file of ['dist/node/engine.js', 'dist/node/cli.js']) {
      const code = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      const specifiers = [...code.matchAll(/(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g)].map((m) => m[1]!);
      expect(specifiers.length, file).toBeGreaterThan(0);
      expect(specifiers.filter((s) => !builtins.has(s)), file).toEqual([]);
    }
  });

  it('installs no runtime dependency: the bundles carry their code and the public types name no package', () => {
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
    // Every declaration file the exports reach, followed through its relative imports.
    const seen = new Set<string>();
    const external: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/from ['"]([^'"]+)['"]/g)) {
        if (spec!.startsWith('.')) walk(new URL(spec!.replace(/\.js$/, '.d.ts'), pathToFileURL(file)).pathname);
        else external.push(`${file}: ${spec}`);
      }
    };
    for (const entry of Object.values(pkg.exports)) {
      const types = typeof entry === 'object' ? (entry as { types?: string }).types : undefined;
      if (types) walk(new URL(`../../${types}`, import.meta.url).pathname);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(external).toEqual([]);
  });

  it('the built engine imports by its package name in Node', async () => {
    const engine = await import('reprise/engine');
    expect(typeof engine.createCacheEngine).toBe('function');
    expect(engine.ERROR_CODES).toContain('integrity-mismatch');
    const error = await engine.createCacheEngine({ manifestUrl: 'https://x.example/m.jws', trustedKeys: [] }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
  });

  it('the page client stays within its size budget (brotli)', () => {
    const sizes = JSON.parse(readFileSync(new URL('../../dist/sizes.json', import.meta.url), 'utf8')) as { bundle: string; brotli: number; budget: number }[];
    for (const s of sizes) expect(s.brotli, s.bundle).toBeLessThanOrEqual(s.budget);
    expect(sizes.map((s) => s.bundle)).toEqual(['client.js', 'cache-worker.js', 'service-worker.js', 'sw-handler.js']);
  });

  it('every link in the README and docs/ points at a file inside the repository', () => {
    const docs = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? docs(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
    const files = ['README.md', 'CHANGELOG.md', 'examples/vite-app/README.md', ...docs('docs')];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        expect(target, `${file}: ${target}`).not.toMatch(/^[a-z]+:/i);
        const path = target!.split('#')[0]!;
        if (!path) continue;
        const full = resolve(root, dirname(file), decodeURIComponent(path));
        expect(relative(root, full).startsWith('..'), `${file}: ${target} leaves the repository`).toBe(false);
        expect(existsSync(full), `${file}: ${target}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('the API reference (docs/api) is what `npm run docs` writes from the source: no stale page', async () => {
    const [typedoc, links] = (pkg.scripts.docs as string).split(' && ') as [string, string];
    const out = await mkdtemp(join(tmpdir(), 'reprise-api-'));
    try {
      // The docs script itself, into a folder of its own (npx fetches TypeDoc once, then from its cache).
      const { stdout, stderr } = await exec('sh', ['-c', `${typedoc} --out ${out} && ${links} ${out}`], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
      expect(`${stdout}${stderr}`, 'TypeDoc: a link in a doc comment it cannot resolve').not.toMatch(/\[warning\]|\[error\]/);
      const tree = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
      const committed = join(root, 'docs', 'api');
      expect(tree(out), 'pages: run `npm run docs` and commit docs/api').toEqual(tree(committed));
      for (const page of tree(committed)) expect(readFileSync(join(out, page), 'utf8'), `docs/api/${page}: run \`npm run docs\``).toBe(readFileSync(join(committed, page), 'utf8'));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("the README's API tables name every option and every method the API reference lists", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = (from: string, to: string) => readme.slice(readme.indexOf(from), readme.indexOf(to, readme.indexOf(from)));
    const optionRows = section('| option | default | meaning |', '\n\n');
    const methodRows = section('| method | what it does |', '\n\n');
    const headings = (page: string) => [...readFileSync(join(root, 'docs', 'api', page), 'utf8').matchAll(/^### (\w+)/gm)].map((m) => m[1]!);
    const options = [...new Set([...headings('reprise/interfaces/OfflineCacheOptions.md'), ...headings('reprise/engine/interfaces/EngineOptions.md')])];
    const members = headings('reprise/interfaces/OfflineCache.md');
    expect(options.length).toBeGreaterThan(15);
    expect(members.length).toBeGreaterThan(15);
    for (const o of options) expect(optionRows, `option ${o}`).toMatch(new RegExp(`\`${o}[\`.]`));
    for (const m of members) expect(methodRows, `method ${m}`).toMatch(new RegExp(`\`${m}[\`(]`));
  });

  it('the option error the README quotes is the one the engine gives', async () => {
    const { createCacheEngine } = await import('reprise/engine');
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1', d: 'private' };
    const error = await createCacheEngine({ manifestUrl: 'https://x.example/m.jws', trustedKeys: [key as never] }).catch((e: Error) => e);
    const what = (error as Error).message.split(' — ')[0]!;
    const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(what).toMatch(/^options\.trustedKeys\.0\.d: /);
    expect(readme).toContain(`\`${what}\``);
  });
});

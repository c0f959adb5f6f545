import fc from 'fast-check';
import { CompactSign, importJWK } from 'jose';
import { key } from '../helpers/catalog.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Signs payload text as it is (JSON.stringify cannot write a `__proto__` key or a duplicate key). */
export async function signText(text: string, kid = 'k1'): Promise<string> {
  const privateKey = await importJWK((await key(kid)).privateJwk, 'ES256');
  return new CompactSign(new TextEncoder().encode(text)).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
}

/** Unsigned mutations of a compact JWS: what a tampering network or a broken cache delivers. */
export function jwsMutation(jws: string): fc.Arbitrary<{ kind: string; jws: string }> {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const at = fc.nat({ max: jws.length - 1 });
  return fc.oneof(
    fc.tuple(at, fc.string({ minLength: 1, maxLength: 1 })).map(([i, c]) => ({ kind: 'char replaced', jws: jws.slice(0, i) + c + jws.slice(i + 1) })),
    fc.tuple(at, at).map(([a, b]) => ({ kind: 'range cut', jws: jws.slice(0, Math.min(a, b)) + jws.slice(Math.max(a, b)) })),
    fc.tuple(at, fc.string({ maxLength: 40 })).map(([i, s]) => ({ kind: 'text inserted', jws: jws.slice(0, i) + s + jws.slice(i) })),
    fc.nat({ max: jws.length }).map((n) => ({ kind: 'truncated', jws: jws.slice(0, n) })),
    fc.constantFrom('none', 'HS256', 'RS256', 'ES384', 'EdDSA', '', 'es256').map((alg) => ({ kind: `alg ${alg}`, jws: `${b64(JSON.stringify({ alg, kid: 'k1' }))}.${payload}.${alg === 'none' ? '' : signature}` })),
    fc.jsonValue({ maxDepth: 3 }).map((h) => ({ kind: 'header replaced', jws: `${b64(JSON.stringify(h))}.${payload}.${signature}` })),
    fc.constantFrom('k2', 'nope', '', 'k1 ', '__proto__').map((kid) => ({ kind: `kid ${kid}`, jws: `${b64(JSON.stringify({ alg: 'ES256', kid }))}.${payload}.${signature}` })),
    fc.jsonValue({ maxDepth: 4 }).map((p) => ({ kind: 'payload swapped, old signature', jws: `${header}.${b64(JSON.stringify(p))}.${signature}` })),
    fc.constantFrom('', '.', '..', '...', 'a.b.c.d', `${jws}.${signature}`, `${header}..${signature}`, ' '.repeat(100)).map((j) => ({ kind: 'shape', jws: j })),
    fc.constant({ kind: 'huge (over maxManifestBytes)', jws: `${header}.${'A'.repeat(9 * 1024 * 1024)}.${signature}` }),
  );
}

/** Where a value goes in the manifest: a JSON path of the base payload. */
type Path = (string | number)[];
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
/** Values that break a schema: wrong types, bad ids and URLs, out-of-range numbers, huge and deep values. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('javascript:alert(1)', 'data:audio/mpeg;base64,AAAA', 'https://evil.example/a.mp3', '//evil.example/x', 'file:///etc/passwd', 'blob:null/1', '../../../etc', 'http://127.0.0.1:1/x', ''),
  fc.constantFrom('a b', 'é', '../x', '__proto__', 'constructor', 'x'.repeat(129), '\u0000', '<script>'),
  fc.constantFrom(-1, 0, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 31, 1e308, 3 * 1024 * 1024 * 1024, 65537, 32768, 16 * 1024 * 1024),
  fc.constantFrom('2026-13-45T00:00:00Z', 'yesterday', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z'),
  fc.constant('x'.repeat(200_000)),
  fc.constant(Array.from({ length: 60_000 }, (_, i) => `t${i}`)),
);

/**
 * Payload text, signed with a trusted key by the caller: a value replaced at a random path, a
 * key deleted or added (`__proto__` among them), or raw text no JSON.stringify writes.
 */
export function payloadMutation(base: Record<string, unknown>): fc.Arbitrary<{ kind: string; text: string }> {
  const all = paths(base);
  const path = fc.constantFrom(...all);
  const objectPaths = all.filter((p) => {
    const v = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], base);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const json = JSON.stringify(base);
  return fc.oneof(
    fc.tuple(path, hostileValue).map(([p, v]) => ({ kind: `value at ${p.join('.') || 'root'}`, text: JSON.stringify(setAt(base, p, v)) })),
    fc.tuple(path.filter((p) => p.length > 0)).map(([p]) => {
      const parent = structuredClone(base) as Record<string | number, unknown>;
      let node = parent;
      for (const k of p.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
      if (Array.isArray(node)) node.splice(p.at(-1) as number, 1);
      else delete node[p.at(-1)!];
      return { kind: `deleted ${p.join('.')}`, text: JSON.stringify(parent) };
    }),
    fc.tuple(fc.constantFrom(...objectPaths), fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted')).map(([p, k]) => {
      // Written as text: `{"__proto__":{"polluted":true},…}` parses to an own property named __proto__.
      const marker = '"__reprise_marker__":0';
      const text = JSON.stringify(setAt(base, [...p, '__reprise_marker__'], 0)).replace(marker, `"${k}":{"polluted":true,"toString":1}`);
      return { kind: `${k} key at ${p.join('.') || 'root'}`, text };
    }),
    fc.constantFrom(
      { kind: 'deeply nested (100,000)', text: json.replace('"playlists":[', `"deep":${deep(100_000)},"playlists":[`) },
      { kind: 'duplicate key', text: json.replace('{', '{"securityEpoch":99,') },
      { kind: 'not JSON', text: json.slice(0, -1) },
      { kind: 'not an object', text: '[]' },
      { kind: 'huge string', text: json.replace('{', `{"pad":"${'x'.repeat(9 * 1024 * 1024)}",`) },
      { kind: 'lone surrogate', text: json.replace('"format"', '"\\ud800format"') },
    ),
  );
}

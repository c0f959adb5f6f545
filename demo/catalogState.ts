import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeys, type KeyPairJwks } from '../src/cli/keys.js';

/** Keys the app build trusts; each security reset rotates to the next one and revokes the one before. */
const KEY_RING = 6;

/** What the service remembers between demo starts (a browser profile keeps its epoch, so the server must too). */
export interface CatalogState {
  epoch: number;
  keys: KeyPairJwks[];
  signingKid: string;
  revoked: string[];
  /** The service's record of each playlist: the listener's offline choice and last play. */
  playlists: Record<string, { offline?: boolean; lastPlayedAt?: string }>;
}

/** Loads the state from `file` (or starts a new one: epoch 1, a fresh key ring); `save()` writes it back. */
export async function loadCatalogState(file: string | undefined): Promise<{ state: CatalogState; save(): void }> {
  let state: CatalogState;
  if (file && existsSync(file)) {
    state = JSON.parse(readFileSync(file, 'utf8')) as CatalogState;
  } else {
    const keys: KeyPairJwks[] = [];
    for (let i = 1; i <= KEY_RING; i++) keys.push(await generateKeys(`k-demo-${i}`));
    state = { epoch: 1, keys, signingKid: keys[0]!.kid, revoked: [], playlists: {} };
  }
  const save = () => {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(state, null, 1));
  };
  save();
  return { state, save };
}

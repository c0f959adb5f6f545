import type { EngineName, EnginePage } from './types.js';

/** Platform features a browser test can declare it needs. */
export type Feature = 'worker' | 'indexedDB' | 'serviceWorker' | 'webLocks' | 'storageEstimate' | 'persist' | 'opfs' | 'webCrypto';

export type Codec = 'mp3' | 'aac' | 'opus' | 'wav';

export interface EngineFeatures {
  has: Record<Feature, boolean>;
  /** `canPlayType` answers ('probably', 'maybe' or ''). */
  codecs: Record<Codec, string>;
}

/**
 * Why an engine lacks a feature, for the ones it is known to lack on this machine. A feature
 * missing without a reason here fails the test: the browser regressed or the setup is wrong.
 */
export const KNOWN_GAPS: Partial<Record<EngineName, Partial<Record<Feature, string>>>> = {
  webkit: {
    storageEstimate: 'WebKitGTK has no navigator.storage.estimate(); the quota is known only from a QuotaExceededError',
    opfs: 'WebKitGTK has no navigator.storage.getDirectory() (OPFS)',
    persist: 'WebKitGTK has no navigator.storage.persist() or persisted(); status().storage.persisted stays null',
  },
};

/** Runs in the page (a secure context on the test origin) and reports what it has. */
export async function probeFeatures(page: EnginePage): Promise<EngineFeatures> {
  return page.evaluate(() => {
    const audio = document.createElement('audio');
    const storage = navigator.storage as StorageManager | undefined;
    return {
      has: {
        worker: typeof Worker === 'function',
        indexedDB: typeof indexedDB === 'object' && indexedDB !== null,
        serviceWorker: isSecureContext && 'serviceWorker' in navigator,
        webLocks: 'locks' in navigator,
        storageEstimate: typeof storage?.estimate === 'function',
        persist: typeof storage?.persist === 'function',
        opfs: typeof storage?.getDirectory === 'function',
        webCrypto: typeof crypto?.subtle?.verify === 'function',
      },
      codecs: {
        mp3: audio.canPlayType('audio/mpeg'),
        aac: audio.canPlayType('audio/mp4; codecs="mp4a.40.2"'),
        opus: audio.canPlayType('audio/ogg; codecs="opus"'),
        wav: audio.canPlayType('audio/wav'),
      },
    };
  });
}

// The server-side Node API of format 2: digest media once, assemble and sign per-user roots.
export { type AssembleOptions, type AssembledManifest, type AssembledPart, type RootFields, assembleManifest } from './assembleManifest.js';
export { type RootSigner, type SignFunction, type SignerSpec, createSigner } from './createSigner.js';
export { DigestIndex, type IndexedMedia } from './DigestIndex.js';
export { type TrackDigest, digestFile, digestFromChunks } from './digestFile.js';
export { defaultPartCount, partIndexOf, shardCatalog } from './shardCatalog.js';
export { type WrittenFiles, writeManifest } from './writeManifest.js';

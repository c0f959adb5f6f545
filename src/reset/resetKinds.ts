/** docs/how-it-works.md "Reset detection", in the order the first applicable one becomes `kind`. */
export const RESET_KINDS = ['storage-lost', 'key-revoked', 'security-epoch', 'app-epoch', 'partial-loss', 'schema-upgrade', 'none'] as const;
export type ResetKind = (typeof RESET_KINDS)[number];

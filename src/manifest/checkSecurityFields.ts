import { RepriseError } from '../errors/RepriseError.js';

/** The fields both formats carry that security rules 1 and 2 look at. */
export interface SecurityFields {
  securityEpoch: number;
  expiresAt?: string | undefined;
  revokedKeyIds?: string[] | undefined;
}

export interface EpochContext {
  /** The highest security epoch accepted so far, or the app's appSecurityEpoch if higher. */
  minEpoch: number;
  /** Milliseconds since the epoch. */
  now: number;
}

/**
 * Security rules 1 and 2 on a verified payload, for both formats: a manifest that revokes its
 * own key, a lower `securityEpoch` than the highest accepted (a rollback) and an expired one
 * are refused.
 */
export function checkSecurityFields(fields: SecurityFields, kid: string, ctx: EpochContext): void {
  if (fields.revokedKeyIds?.includes(kid)) {
    throw new RepriseError('manifest-signature', `the manifest revokes its own signing key "${kid}"`, { reason: 'self-revoked', kid, path: 'revokedKeyIds' });
  }
  if (fields.securityEpoch < ctx.minEpoch) {
    throw new RepriseError(
      'manifest-rollback',
      `manifest securityEpoch ${fields.securityEpoch} is lower than ${ctx.minEpoch}, the highest already accepted or required by the app`,
      { path: 'securityEpoch', epoch: fields.securityEpoch, minEpoch: ctx.minEpoch },
    );
  }
  if (fields.expiresAt !== undefined && Date.parse(fields.expiresAt) <= ctx.now) {
    throw new RepriseError('manifest-expired', `the manifest expired at ${fields.expiresAt}`, { path: 'expiresAt', expiresAt: fields.expiresAt });
  }
}

import { RepriseError } from '../errors/RepriseError.js';

/**
 * An ES256 signature as JWS wants it (RFC 7518 §3.4): R and S, 32 bytes each, concatenated.
 * KMS and HSM APIs usually return the ASN.1 DER form (`SEQUENCE { INTEGER r, INTEGER s }`);
 * that form is converted, a 64-byte one is returned as is.
 */
export function toJoseSignature(signature: Uint8Array): Uint8Array {
  if (signature.byteLength === 64) return signature;
  const fail = (why: string): never => {
    throw new RepriseError('invalid-argument', `the signer returned ${signature.byteLength} bytes that are neither a 64-byte R||S ES256 signature nor DER (${why})`, { path: 'signer' });
  };
  let at = 0;
  const byte = () => (at < signature.byteLength ? signature[at++]! : fail('truncated'));
  if (byte() !== 0x30) fail('no SEQUENCE');
  let length = byte();
  if (length === 0x81) length = byte();
  if (length !== signature.byteLength - at) fail('wrong length');
  const integer = (): Uint8Array => {
    if (byte() !== 0x02) fail('no INTEGER');
    const n = byte();
    let value = signature.subarray(at, at + n);
    at += n;
    while (value.byteLength > 32 && value[0] === 0) value = value.subarray(1);
    if (value.byteLength > 32 || n === 0) fail('integer too long');
    const out = new Uint8Array(32);
    out.set(value, 32 - value.byteLength);
    return out;
  };
  const out = new Uint8Array(64);
  out.set(integer(), 0);
  out.set(integer(), 32);
  if (at !== signature.byteLength) fail('trailing bytes');
  return out;
}

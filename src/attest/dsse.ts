/**
 * DSSE (Dead Simple Signing Envelope) v1 with ed25519, through `node:crypto`. The signature covers
 * the pre-authentication encoding of the payload type and the payload bytes:
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * with LEN the byte length in ASCII decimal, so neither the type nor the body can be changed or
 * moved without breaking the signature. The envelope is `{ payloadType, payload (base64), signatures:
 * [{ keyid, sig (base64) }] }`, as in-toto, cosign and sigstore read it.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { formatPublicKey } from '../util/ed25519.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid?: string; sig: string }[];
}

export function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type, 'utf8')} ${type} ${body.length} `, 'utf8'), body]);
}

/** `SHA256:…` — the key's fingerprint as `ssh-keygen -l` prints it (base64 of the sha256 of the key blob, unpadded). */
export function keyId(publicKey: KeyObject): string {
  const blob = Buffer.from(formatPublicKey(publicKey).split(' ')[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function signEnvelope(payload: Buffer, privateKey: KeyObject, publicKey: KeyObject, payloadType = IN_TOTO_PAYLOAD_TYPE): Envelope {
  const sig = sign(null, pae(payloadType, payload), privateKey).toString('base64');
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: keyId(publicKey), sig }] };
}

/** Strict base64 (standard alphabet, padded or not): anything else is not a DSSE field. */
function decodeBase64(text: string): Buffer | undefined {
  const t = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1) return undefined;
  return Buffer.from(t, 'base64');
}

export type EnvelopeCheck = { ok: true; payload: Buffer } | { ok: false; reason: string };

/** The payload, when one of the envelope's signatures is `publicKey`'s over exactly this type and payload. */
export function verifyEnvelope(value: unknown, publicKey: KeyObject, expectedType = IN_TOTO_PAYLOAD_TYPE): EnvelopeCheck {
  const env = value as Partial<Envelope> | null;
  if (!env || typeof env !== 'object' || typeof env.payload !== 'string' || typeof env.payloadType !== 'string' || !Array.isArray(env.signatures)) {
    return { ok: false, reason: 'not a DSSE envelope (payloadType, payload, signatures)' };
  }
  if (env.payloadType !== expectedType) return { ok: false, reason: `the payload type is ${JSON.stringify(env.payloadType.slice(0, 80))}, not ${expectedType}` };
  const payload = decodeBase64(env.payload);
  if (!payload) return { ok: false, reason: 'the payload is not base64' };
  if (env.signatures.length === 0) return { ok: false, reason: 'the envelope has no signature' };
  const message = pae(env.payloadType, payload);
  for (const s of env.signatures) {
    const sig = typeof s?.sig === 'string' ? decodeBase64(s.sig) : undefined;
    if (!sig || sig.length !== 64) continue;
    try {
      if (verify(null, message, publicKey, sig)) return { ok: true, payload };
    } catch {
      /* not this one */
    }
  }
  return { ok: false, reason: `no signature verifies with the key ${keyId(publicKey)}` };
}

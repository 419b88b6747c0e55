import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae, signEnvelope, verifyEnvelope } from './dsse.js';

describe('DSSE', () => {
  it('PAE is "DSSEv1 LEN type LEN body" with byte lengths (the specification\'s example)', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    // Lengths count bytes, not characters.
    expect(pae('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });

  it('verifies its own signature, and nothing changed', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const env = signEnvelope(Buffer.from('{"a":1}'), privateKey, publicKey);
    expect(verifyEnvelope(env, publicKey)).toMatchObject({ ok: true });
    expect(verifyEnvelope({ ...env, payload: Buffer.from('{"a":2}').toString('base64') }, publicKey)).toMatchObject({ ok: false, reason: expect.stringContaining('no signature verifies') });
    expect(verifyEnvelope({ ...env, payloadType: 'text/plain' }, publicKey)).toMatchObject({ ok: false });
    expect(verifyEnvelope({ ...env, signatures: [] }, publicKey)).toMatchObject({ ok: false, reason: 'the envelope has no signature' });
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyEnvelope(env, other)).toMatchObject({ ok: false });
    expect(env.signatures[0]!.keyid).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

/**
 * ed25519 keys as people already have them, through `node:crypto`: public keys in OpenSSH's
 * one-line form (`ssh-ed25519 AAAA… comment`, what `ssh-keygen` writes to `id_ed25519.pub` and
 * what a config lists), private keys as an unencrypted OpenSSH key file (`ssh-keygen -t ed25519
 * -N ''`) or PKCS#8 PEM (`openssl genpkey -algorithm ed25519`, and `shipgate keygen`).
 * Signatures are plain ed25519 over the exact bytes given, encoded base64.
 */
import type { KeyObject } from 'node:crypto';
// node:crypto when a key is first used: checking a config without keys (every `validate`) never loads it.
import { crypto } from './crypto-on-use.js';

export class KeyError extends Error {}

/** Read an SSH wire-format string (uint32 length + bytes) at `off`. */
function sshString(buf: Buffer, off: number): { value: Buffer; next: number } {
  if (off + 4 > buf.length) throw new KeyError('the key is cut short');
  const len = buf.readUInt32BE(off);
  if (off + 4 + len > buf.length) throw new KeyError('the key is cut short');
  return { value: buf.subarray(off + 4, off + 4 + len), next: off + 4 + len };
}

const b64url = (b: Buffer): string => b.toString('base64url');

/** The 32-byte public key of an `ssh-ed25519 AAAA…` line. */
function publicKeyBytes(line: string): Buffer {
  const parts = line.trim().split(/\s+/);
  if (parts[0] !== 'ssh-ed25519' || !parts[1]) throw new KeyError('not an OpenSSH ed25519 public key: write "ssh-ed25519 AAAA…" as ssh-keygen prints it');
  const blob = Buffer.from(parts[1], 'base64');
  const type = sshString(blob, 0);
  if (type.value.toString() !== 'ssh-ed25519') throw new KeyError('the key data is not of type ssh-ed25519');
  const key = sshString(blob, type.next).value;
  if (key.length !== 32) throw new KeyError(`an ed25519 public key has 32 bytes, this one ${key.length}`);
  return key;
}

/** A public key from an OpenSSH line (`ssh-ed25519 AAAA… comment`). Throws KeyError. */
export function parsePublicKey(line: string): KeyObject {
  return crypto().createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKeyBytes(line)) }, format: 'jwk' });
}

/** The OpenSSH one-line form of an ed25519 public key. */
export function formatPublicKey(key: KeyObject, comment = ''): string {
  const x = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
  const wire = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
  };
  const blob = Buffer.concat([wire(Buffer.from('ssh-ed25519')), wire(x)]);
  return `ssh-ed25519 ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** The private key in an unencrypted OpenSSH key file (the `openssh-key-v1` format). */
function openSshPrivateKey(pem: string): KeyObject {
  const body = pem
    .replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '')
    .replace(/\s+/g, '');
  const buf = Buffer.from(body, 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  if (!buf.subarray(0, magic.length).equals(magic)) throw new KeyError('not an OpenSSH private key');
  let off = magic.length;
  const cipher = sshString(buf, off);
  off = cipher.next;
  const kdf = sshString(buf, off);
  off = kdf.next;
  off = sshString(buf, off).next; // kdf options
  if (cipher.value.toString() !== 'none' || kdf.value.toString() !== 'none') {
    throw new KeyError('the key is protected by a passphrase; shipgate cannot prompt for it: make an unencrypted copy (ssh-keygen -p -N "" -f COPY) or use a PEM key');
  }
  const n = buf.readUInt32BE(off);
  off += 4;
  if (n !== 1) throw new KeyError(`the file holds ${n} keys; give a file with one`);
  off = sshString(buf, off).next; // public key blob
  const priv = sshString(buf, off).value;
  let p = 8; // two check integers
  const type = sshString(priv, p);
  if (type.value.toString() !== 'ssh-ed25519') throw new KeyError(`the key is of type ${type.value.toString()}, not ssh-ed25519`);
  p = type.next;
  const pub = sshString(priv, p);
  p = pub.next;
  const secret = sshString(priv, p).value; // 32-byte seed + 32-byte public key
  if (secret.length !== 64 || pub.value.length !== 32) throw new KeyError('the ed25519 key has the wrong length');
  return crypto().createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secret.subarray(0, 32)), x: b64url(pub.value) }, format: 'jwk' });
}

/** A private key from the text of a key file: OpenSSH (unencrypted) or PKCS#8 PEM. Throws KeyError. */
export function parsePrivateKey(text: string): KeyObject {
  if (text.includes('BEGIN OPENSSH PRIVATE KEY')) return openSshPrivateKey(text);
  let key: KeyObject;
  try {
    key = crypto().createPrivateKey(text);
  } catch (e) {
    throw new KeyError(`not a private key file (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`the key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not ed25519`);
  return key;
}

export function signText(key: KeyObject, text: string): string {
  return crypto().sign(null, Buffer.from(text, 'utf8'), key).toString('base64');
}

/** True only for a well-formed signature of exactly `text` by `key`. */
export function verifyText(key: KeyObject, text: string, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  try {
    return crypto().verify(null, Buffer.from(text, 'utf8'), key, sig);
  } catch {
    return false;
  }
}

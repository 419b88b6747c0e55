import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPublicKey, KeyError, parsePrivateKey, parsePublicKey, signText, verifyText } from './ed25519.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-keys-'));
/** A real key made by ssh-keygen, as a user has one. */
function sshKey(name: string, passphrase = ''): { priv: string; pub: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@example`, '-f', join(dir, name)]);
  return { priv: readFileSync(join(dir, name), 'utf8'), pub: readFileSync(join(dir, `${name}.pub`), 'utf8') };
}

describe('ed25519 keys', () => {
  it('signs with an ssh-keygen private key and verifies with its .pub line', () => {
    const alice = sshKey('alice');
    const sig = signText(parsePrivateKey(alice.priv), 'approve deploy 1.2.3');
    expect(verifyText(parsePublicKey(alice.pub), 'approve deploy 1.2.3', sig)).toBe(true);
  });

  it('a changed text, another key, or a forged signature does not verify', () => {
    const alice = sshKey('alice2');
    const mallory = sshKey('mallory');
    const sig = signText(parsePrivateKey(alice.priv), 'approve deploy 1.2.3');
    expect(verifyText(parsePublicKey(alice.pub), 'approve deploy 1.2.4', sig)).toBe(false);
    expect(verifyText(parsePublicKey(mallory.pub), 'approve deploy 1.2.3', sig)).toBe(false);
    expect(verifyText(parsePublicKey(alice.pub), 'approve deploy 1.2.3', Buffer.alloc(64).toString('base64'))).toBe(false);
    expect(verifyText(parsePublicKey(alice.pub), 'approve deploy 1.2.3', 'not base64 at all')).toBe(false);
  });

  it('reads PKCS#8 PEM keys and writes OpenSSH public lines that read back', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const line = formatPublicKey(publicKey, 'ci@example');
    expect(line).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S+ ci@example$/);
    expect(verifyText(parsePublicKey(line), 'x', signText(parsePrivateKey(pem), 'x'))).toBe(true);
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parsePrivateKey(sshKey('locked', 'secret').priv)).toThrow(/passphrase/);
    expect(() => parsePublicKey('ssh-rsa AAAAB3NzaC1yc2E')).toThrow(KeyError);
    expect(() => parsePublicKey('ssh-ed25519 AAAA')).toThrow(KeyError);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)).toThrow(/not ed25519/);
  });
});

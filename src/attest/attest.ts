/**
 * Sign a release decision, and check a signed one: the two halves of "verifiable at deploy".
 * `attest` builds the statement (statement.ts), masks the run's secrets in it, and signs it in a
 * DSSE envelope (dsse.ts). `verifyAttestation` says yes only for a valid signature by the given
 * key, a statement of the expected types, `PASSED`, and — when a subject is given — a subject with
 * that digest; otherwise it says exactly why not.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Decision } from '../decide/types.js';
import { redactDeep } from '../run/redact.js';
import { KeyError, parsePrivateKey, parsePublicKey } from '../util/ed25519.js';
import { signEnvelope, verifyEnvelope, type Envelope } from './dsse.js';
import { AttestError, STATEMENT_TYPE, VSA_PREDICATE_TYPE, buildStatement, parseDigestSubject, sha256Of, type Statement, type Subject } from './statement.js';

export const ATTESTATION_FILE = 'attestation.intoto.json';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A private key file (PKCS#8 PEM or unencrypted OpenSSH, ed25519). Throws AttestError naming the file. */
export async function readSigningKey(path: string): Promise<SigningKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AttestError(`cannot read the key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return signingKeyOf(text, path);
}

/** Parse a private key's text; `where` (a file, or `--key env:NAME`) starts any error. */
function signingKeyOf(text: string, where: string): SigningKey {
  try {
    const privateKey = parsePrivateKey(text);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  } catch (e) {
    throw new AttestError(`${where}: ${e instanceof KeyError ? e.message : (e as Error).message}`);
  }
}

/** `--key env:NAME`: the key is the value of a variable (a CI secret), not a file. */
export function keyVariable(spec: string): string | undefined {
  return /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(spec)?.[1];
}

/**
 * The signing key `--key` names: a file (relative to `cwd`), or `env:NAME`, the text of a
 * variable. Throws AttestError saying which.
 */
export async function signingKeyFrom(spec: string, cwd: string, env: NodeJS.ProcessEnv): Promise<SigningKey> {
  const name = keyVariable(spec);
  if (name === undefined) return readSigningKey(resolve(cwd, spec));
  const text = env[name];
  if (!text?.trim()) throw new AttestError(`--key env:${name}: the variable ${name} is not set`);
  return signingKeyOf(text, `--key env:${name}`);
}

/** A public key file: an OpenSSH line (`ssh-ed25519 AAAA…`, what keygen writes) or a PEM public key. */
export async function readPublicKey(path: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AttestError(`cannot read the key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    if (text.includes('BEGIN PUBLIC KEY')) {
      const key = createPublicKey(text);
      if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`the key is ${key.asymmetricKeyType}, not ed25519`);
      return key;
    }
    if (text.includes('PRIVATE KEY')) throw new KeyError('this is a private key: verify with the public one (NAME.pub)');
    return parsePublicKey(text.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '');
  } catch (e) {
    throw new AttestError(`${path}: ${(e as Error).message}`);
  }
}

/** `--subject PATH` (hashed now) or `--subject NAME@sha256:HEX`. */
export async function subjectFrom(text: string, cwd: string): Promise<Subject> {
  const digest = parseDigestSubject(text);
  if (digest) return digest;
  const { resolve, relative, isAbsolute } = await import('node:path');
  const abs = resolve(cwd, text);
  try {
    const r = relative(cwd, abs);
    return { name: !r.startsWith('..') && !isAbsolute(r) ? r : abs, digest: { sha256: await sha256Of(abs) } };
  } catch (e) {
    throw new AttestError(`--subject ${text}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a file or NAME@sha256:HEX`);
  }
}

export async function attest(d: Decision, key: SigningKey, opts: { rootDir: string; shipgateVersion: string; secrets: readonly string[]; extraSubjects?: Subject[] }): Promise<{ envelope: Envelope; statement: Statement }> {
  const built = await buildStatement(d, opts);
  const statement = opts.secrets.length ? redactDeep(built, opts.secrets) : built;
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  return { envelope: signEnvelope(payload, key.privateKey, key.publicKey), statement };
}

export function envelopeJson(e: Envelope): string {
  return `${JSON.stringify(e, null, 2)}\n`;
}

export type Verification = { ok: true; statement: Statement; subject?: Subject } | { ok: false; reason: string; statement?: Statement };

export async function verifyAttestation(text: string, key: KeyObject, subject?: { path?: string; digest?: string }): Promise<Verification> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the file is not JSON' };
  }
  const env = verifyEnvelope(value, key);
  if (!env.ok) return { ok: false, reason: env.reason };
  let statement: Statement;
  try {
    statement = JSON.parse(env.payload.toString('utf8')) as Statement;
  } catch {
    return { ok: false, reason: 'the signed payload is not JSON' };
  }
  if (statement?._type !== STATEMENT_TYPE) return { ok: false, reason: `the payload is not an in-toto Statement v1 (_type ${JSON.stringify(String(statement?._type).slice(0, 80))})` };
  if (statement.predicateType !== VSA_PREDICATE_TYPE) return { ok: false, reason: `the predicate is ${JSON.stringify(String(statement.predicateType).slice(0, 80))}, not a SLSA verification summary v1` };
  const p = statement.predicate;
  if (!Array.isArray(statement.subject) || !p || typeof p !== 'object') return { ok: false, reason: 'the statement has no subject or no predicate' };
  if (p.verificationResult !== 'PASSED') {
    const why = Array.isArray(p.shipgate?.blockers) && p.shipgate.blockers.length ? `: ${p.shipgate.blockers.slice(0, 3).join('; ')}${p.shipgate.blockers.length > 3 ? '; …' : ''}` : p.shipgate?.partial ? ': a partial run' : '';
    return { ok: false, statement, reason: `the release was not verified (verificationResult ${JSON.stringify(String(p.verificationResult))}, shipgate ${String(p.shipgate?.result ?? '?')})${why}` };
  }
  if (subject) {
    let digest = subject.digest?.toLowerCase();
    if (subject.path) {
      try {
        digest = await sha256Of(subject.path);
      } catch (e) {
        return { ok: false, statement, reason: `cannot read the subject ${subject.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
      }
    }
    const match = statement.subject.find((s) => typeof s?.digest?.sha256 === 'string' && s.digest.sha256.toLowerCase() === digest);
    if (!match) return { ok: false, statement, reason: `no subject of the attestation has the sha256 ${digest} of ${subject.path ?? 'the given digest'} (subjects: ${statement.subject.map((s) => s.name).slice(0, 5).join(', ')})` };
    return { ok: true, statement, subject: match };
  }
  return { ok: true, statement };
}

export { AttestError };

/**
 * Secrets stay secret: the values of secret variables are replaced by `***` in everything shipgate
 * writes or prints — gate and service logs (as a stream), the decision (checks, reasons, failing
 * tests and their messages, findings, warnings, probe URLs), history and notes — and credentials
 * embedded in any URL (`scheme://user:password@host`, `?password=…`) are masked wherever they
 * appear, whichever variable or report they came from.
 *
 * Which variables are secret: names given in the config (`secrets:`) or with `--secret NAME`, and
 * names whose *words* (split on `_`, `-` and `.`) say so — `GITHUB_AUTH` (the word AUTH), not
 * `GIT_AUTHOR_NAME` (AUTHOR) — see SECRET_WORDS; plus `SHIPGATE_DATABASE_URL`.
 *
 * Not caught, and said so in the README: values shorter than six characters (masking `1` or
 * `dev` would mask ordinary output everywhere), and a secret after a transformation shipgate does
 * not see (base64, hex, URL-encoding, split across fields).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Words that make a variable secret wherever they stand in its name. */
const SECRET_WORDS = new Set([
  'SECRET',
  'SECRETS',
  'TOKEN',
  'TOKENS',
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'PWD',
  'CREDENTIAL',
  'CREDENTIALS',
  'AUTH',
  'APIKEY',
  'WEBHOOK',
  'DSN',
  'COOKIE',
  'PRIVATEKEY',
]);
/** Word pairs that make a name secret when adjacent: API_KEY, ACCESS_KEY, PRIVATE_KEY, SSH_KEY, SIGNING_KEY… */
const KEY_PREFIXES = new Set(['API', 'ACCESS', 'PRIVATE', 'SSH', 'SIGNING', 'SECRET', 'ENCRYPTION', 'MASTER', 'CLIENT', 'DEPLOY']);
/** Names that look secret by their words but are not: the working directory. */
const NOT_SECRET = new Set(['PWD', 'OLDPWD']);

/** Shorter values (`1`, `true`, `dev`) would mask ordinary output everywhere. */
const MIN_SECRET_LENGTH = 6;
export const MASK = '***';

/** Does this variable name say it holds a secret? */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (NOT_SECRET.has(upper)) return false;
  const words = upper.split(/[_\-.]+/).filter(Boolean);
  return words.some((w, i) => SECRET_WORDS.has(w) || (w === 'KEY' && i > 0 && KEY_PREFIXES.has(words[i - 1]!)));
}

/** The password part of URL-shaped text: `scheme://user:PASSWORD@`, and `password=` / `sslpassword=` query parameters. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@?#]*:)([^\s@/?#]+)@/gi;
const URL_PASSWORD_PARAM = /([?&](?:ssl)?pass(?:word)?=)([^&#\s]+)/gi;

export interface SecretOptions {
  /** Variable names declared secret by the config (`secrets:`) and `--secret NAME`. */
  names?: readonly string[];
}

/** The secret values among an environment, longest first (a secret containing another is masked whole). */
export function secretValues(env: Record<string, string | undefined>, opts: SecretOptions = {}): string[] {
  const named = new Set(opts.names ?? []);
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    const secret = named.has(name) || name === 'SHIPGATE_DATABASE_URL' || (!name.startsWith('SHIPGATE_') && isSecretName(name));
    if (secret) values.add(value);
    // A password inside any URL-shaped value, whatever the variable is called (DATABASE_URL, REDIS_URL…).
    for (const m of value.matchAll(URL_USERINFO)) {
      if (m[2]!.length < MIN_SECRET_LENGTH) continue;
      values.add(m[2]!);
      values.add(decodeURIComponentSafe(m[2]!));
    }
    for (const m of value.matchAll(URL_PASSWORD_PARAM)) if (m[2]!.length >= MIN_SECRET_LENGTH) values.add(m[2]!);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Mask every known secret, and any credentials in URL-shaped text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  if (out.includes('://') || /pass(word)?=/i.test(out)) {
    out = out.replace(URL_USERINFO, (_, head: string, pw: string) => (pw === MASK ? `${head}${pw}@` : `${head}${MASK}@`));
    out = out.replace(URL_PASSWORD_PARAM, (_, head: string) => `${head}${MASK}`);
  }
  return out;
}

/** A deep copy with every string redacted: for decisions, history records and notes. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets);
    return out as T;
  }
  return value;
}

/**
 * Masks secrets in text that arrives in pieces, even when one is split across two pieces: it holds
 * back the last `longest - 1` characters until the next piece (or the end) shows whether they start
 * a secret. URL credentials are masked line by line (a URL does not span lines). Plain and
 * synchronous, for the log of every command (process.ts); Redactor is the same as a stream.
 */
export class Masker {
  private carry = '';
  private readonly hold: number;

  constructor(private readonly secrets: readonly string[]) {
    this.hold = Math.max(0, ...secrets.map((s) => s.length)) - 1;
  }

  /** The masked text that can be let out now. */
  push(chunk: string): string {
    // Mask the whole, then hold back the unfinished last line (a URL's credentials may still be
    // arriving) and the tail a secret could start in; the held text is masked again with the next chunk.
    const text = redactText(this.carry + chunk, this.secrets);
    const nl = text.lastIndexOf('\n');
    let keep = Math.max(Math.min(this.hold, text.length), nl === -1 ? text.length : text.length - nl - 1);
    // A line that grows without end is let through once it is long, masked as far as it goes.
    if (keep > 64 * 1024) keep = Math.min(this.hold, text.length);
    this.carry = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** Whatever was held back, masked: the text is complete. */
  end(): string {
    const rest = redactText(this.carry, this.secrets);
    this.carry = '';
    return rest;
  }
}

/** Masker as a stream. */
export class Redactor extends Transform {
  private readonly masker: Masker;

  constructor(secrets: readonly string[]) {
    super({ decodeStrings: false, encoding: 'utf8' });
    this.masker = new Masker(secrets);
  }

  override _transform(chunk: string | Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, this.masker.push(chunk.toString()));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.masker.end());
  }
}

/**
 * Secrets named in the environment never reach logs or reports: the values of variables whose
 * names say they are secret (TOKEN, SECRET, PASSWORD, API_KEY, …) are replaced by `***` in every
 * gate and service log, and in the checks of the decision.
 */
import { Transform, type TransformCallback } from 'node:stream';

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i;
/** Shorter values (`1`, `true`, `dev`) would mask ordinary output everywhere. */
const MIN_SECRET_LENGTH = 6;
export const MASK = '***';

export function secretValues(env: Record<string, string | undefined>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    if (name.startsWith('SHIPGATE_') || !SECRET_NAME.test(name)) continue;
    values.add(value);
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/**
 * A stream that masks secrets even when one is split across two chunks: it holds back the last
 * `longest - 1` characters until the next chunk (or the end) shows whether they start a secret.
 */
export class Redactor extends Transform {
  private carry = '';
  private readonly hold: number;

  constructor(private readonly secrets: readonly string[]) {
    super({ decodeStrings: false, encoding: 'utf8' });
    this.hold = Math.max(0, ...secrets.map((s) => s.length)) - 1;
  }

  override _transform(chunk: string | Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = redactText(this.carry + chunk.toString(), this.secrets);
    const keep = Math.min(this.hold, text.length);
    this.carry = text.slice(text.length - keep);
    done(null, text.slice(0, text.length - keep));
  }

  override _flush(done: TransformCallback): void {
    done(null, redactText(this.carry, this.secrets));
  }
}

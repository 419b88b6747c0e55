/**
 * `shipgate keygen --out NAME`: a new ed25519 key pair — NAME.key (PKCS#8 PEM, mode 0600, the
 * signing key: keep it secret, e.g. in a CI secret) and NAME.pub (the OpenSSH one-line form, for
 * `verify --key` and for a gate's `manual.keys`). Existing files are never overwritten.
 */
import { generateKeyPairSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { keyId } from '../../attest/dsse.js';
import { UsageError } from '../../errors.js';
import { formatPublicKey } from '../../util/ed25519.js';
import { printable } from '../../util/printable.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

async function create(path: string, text: string, mode: number): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EEXIST' ? `${path} exists; shipgate keygen never overwrites a key` : `cannot create ${path}: ${code ?? (e as Error).message}`, code === 'EEXIST' ? 'choose another --out NAME, or move the old key away' : undefined);
  }
  try {
    await fh.writeFile(text);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

export async function keygenCommand(flags: { out?: string; comment?: string }, ctx: CliContext): Promise<number> {
  if (!flags.out) throw new UsageError('keygen needs --out NAME (writes NAME.key and NAME.pub)');
  const base = resolve(ctx.cwd, flags.out.replace(/\.(key|pub)$/, ''));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const comment = (flags.comment ?? 'shipgate').replace(/\s+/g, '_');
  await create(`${base}.key`, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  try {
    await create(`${base}.pub`, `${formatPublicKey(publicKey, comment)}\n`, 0o644);
  } catch (e) {
    const { rm } = await import('node:fs/promises');
    await rm(`${base}.key`, { force: true });
    throw e;
  }
  ctx.stdout.write(`wrote ${printable(base)}.key (private: keep it secret) and ${printable(base)}.pub (public: give it to whoever verifies)\nkey ${keyId(publicKey)}\n`);
  return EXIT.READY;
}

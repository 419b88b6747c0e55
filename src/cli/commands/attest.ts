/**
 * `shipgate attest RUN --key KEY`: sign a recorded run's decision (its run folder's decision.json)
 * as an in-toto statement in a DSSE envelope, written to the run folder as
 * attestation.intoto.json (and to --out). RUN is a run id, a unique prefix of one, or the path of a
 * run folder or of a decision.json.
 */
import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { attest, ATTESTATION_FILE, AttestError, envelopeJson, signingKeyFrom, subjectFrom } from '../../attest/attest.js';
import { loadConfig } from '../../config/load.js';
import type { Decision } from '../../decide/types.js';
import { ShipgateError, UsageError } from '../../errors.js';
import { secretValues } from '../../run/redact.js';
import { ownPackage } from '../../util/package-root.js';
import { printable } from '../../util/printable.js';
import { safeWriteFile } from '../../run/safe-write.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

/** shipgate's own version (package.json), for attestations and User-Agents. */
export function shipgateVersion(): string {
  const own = ownPackage();
  if (!own) throw new ShipgateError('PACKAGE_MISSING', "cannot find shipgate's own package.json (for the version it records)", { hint: 'reinstall shipgate' });
  return own.version;
}

export interface AttestFlags {
  config?: string;
  key?: string;
  out?: string;
  subject?: string[];
}

async function findRun(run: string, ctx: CliContext, flags: AttestFlags): Promise<{ file: string; rootDir: string; secretsNames: string[] }> {
  const asPath = resolve(ctx.cwd, run);
  let isDir = false;
  let isFile = false;
  try {
    const st = statSync(asPath);
    isDir = st.isDirectory();
    isFile = st.isFile();
  } catch {
    /* not a path: a run id */
  }
  if (isDir || isFile) {
    const file = isDir ? join(asPath, 'decision.json') : asPath;
    // The project root is the folder above .shipgate/runs/<id>/ when the run folder sits there.
    const runDir = dirname(file);
    const rootDir = basename(dirname(runDir)) === 'runs' && basename(dirname(dirname(runDir))) === '.shipgate' ? dirname(dirname(dirname(runDir))) : ctx.cwd;
    let secretsNames: string[] = [];
    try {
      secretsNames = (await loadConfig({ cwd: rootDir, file: flags.config })).secrets;
    } catch {
      /* no config here: the environment's secret names still apply */
    }
    return { file, rootDir, secretsNames };
  }
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  const runsDir = join(config.rootDir, '.shipgate', 'runs');
  let ids: string[] = [];
  try {
    ids = await readdir(runsDir);
  } catch {
    /* no runs yet */
  }
  const matches = ids.filter((id) => id.startsWith(run));
  if (matches.length === 0) throw new UsageError(`no run ${printable(run)} in ${runsDir}`, 'give a run id from `shipgate history`, or the path of a run folder');
  if (matches.length > 1 && !matches.includes(run)) throw new UsageError(`${printable(run)} matches ${matches.length} runs: ${matches.slice(0, 5).join(', ')}`, 'give more of the id');
  return { file: join(runsDir, matches.includes(run) ? run : matches[0]!, 'decision.json'), rootDir: config.rootDir, secretsNames: config.secrets };
}

export async function attestCommand(run: string, flags: AttestFlags, ctx: CliContext): Promise<number> {
  if (!flags.key) throw new UsageError('attest needs --key FILE (an ed25519 private key)', 'make one with `shipgate keygen --out release`');
  let key;
  try {
    key = await signingKeyFrom(flags.key, ctx.cwd, ctx.env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const found = await findRun(run, ctx, flags);
  let decision: Decision;
  try {
    decision = JSON.parse(await readFile(found.file, 'utf8')) as Decision;
  } catch (e) {
    throw new UsageError(`cannot read the decision ${found.file}: ${(e as Error).message}`);
  }
  if (!decision || typeof decision !== 'object' || !Array.isArray(decision.gates) || typeof decision.runId !== 'string') throw new UsageError(`${found.file} is not a shipgate decision`);
  try {
    const extraSubjects = await Promise.all((flags.subject ?? []).map((s) => subjectFrom(s, ctx.cwd)));
    const secrets = secretValues(ctx.env, { names: found.secretsNames });
    const { envelope, statement } = await attest(decision, key, { rootDir: found.rootDir, shipgateVersion: shipgateVersion(), secrets, extraSubjects });
    const text = envelopeJson(envelope);
    const paths = [join(dirname(found.file), ATTESTATION_FILE), ...(flags.out ? [resolve(ctx.cwd, flags.out)] : [])];
    for (const p of paths) await safeWriteFile(p, text);
    ctx.stdout.write(`attestation: ${statement.predicate.verificationResult} (${decision.result}) for ${statement.subject.length} subject${statement.subject.length === 1 ? '' : 's'}, signed by ${envelope.signatures[0]!.keyid}\n${paths.map((p) => `  ${printable(p)}`).join('\n')}\n`);
    return EXIT.READY;
  } catch (e) {
    if (e instanceof AttestError) throw new UsageError(e.message);
    throw e;
  }
}

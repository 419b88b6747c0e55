import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { attest, ATTESTATION_FILE, AttestError, envelopeJson, keyVariable, signingKeyFrom, subjectFrom, type SigningKey } from '../../attest/attest.js';
import { parseDigestSubject } from '../../attest/statement.js';
import { loadConfig } from '../../config/load.js';
import type { Decision } from '../../decide/types.js';
import { UsageError } from '../../errors.js';
import { notifyAll, notifySecrets } from '../../notify/index.js';
import { guardFor } from '../../report/ci-guard.js';
import { jsonStreamReporter } from '../../report/json.js';
import { REPORTERS, describeFailure, guarded, nativeReporterFor, type ReportTarget } from '../../report/registry.js';
import type { Reporter } from '../../report/reporter.js';
import type { SinkContext } from '../../report/sinks.js';
import { terminalReporter } from '../../report/terminal.js';
import { ciVendor } from '../../run/ci.js';
import { redactText, secretValues } from '../../run/redact.js';
import { run } from '../../run/run.js';
import { printable } from '../../util/printable.js';
import { safeWriteFile } from '../../run/safe-write.js';
import { useColor, type CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { ciMode, parseConcurrency, parseLabels, parseReports, parseSecretNames } from '../options.js';
import { shipgateVersion } from './attest.js';
import { storeVariables } from '../../run/run-env.js';

export interface RunFlags {
  config?: string;
  with?: string[];
  skip?: string[];
  only?: string[];
  strict?: boolean;
  ci?: boolean;
  local?: boolean;
  concurrency?: string;
  failFast?: boolean;
  json?: boolean;
  report?: string[];
  /** `--no-ci-report`: false. */
  ciReport?: boolean;
  /** `--no-notify`: false. */
  notify?: boolean;
  attest?: boolean;
  key?: string;
  attestOut?: string;
  attestSubject?: string[];
  history?: boolean;
  requireClean?: boolean;
  publish?: boolean;
  secret?: string[];
  label?: string[];
}

export function exitCodeForDecision(d: Decision): number {
  if (d.interrupted) return EXIT.INTERRUPTED;
  // Asked to publish and it did not happen (refused or a step failed): not a success.
  if (d.publish && d.publish.status !== 'done') return EXIT.BLOCKED;
  return d.result === 'READY' ? EXIT.READY : EXIT.BLOCKED;
}

/** In Azure Pipelines `##vso[` inside JSON text is still a command: `\u005b` is the same JSON string and inert. */
function jsonSafeStream(raw: Writable, vendor: string | undefined): Writable {
  if (vendor !== 'AZURE_PIPELINES') return raw;
  return {
    write: (chunk: string) => raw.write(String(chunk).replace(/##(vso)?\[/gi, (m) => `${m.slice(0, -1)}\\u005b`)),
  } as unknown as Writable;
}

export async function runCommand(version: string | undefined, flags: RunFlags, ctx: CliContext): Promise<number> {
  const ci = ciMode(flags, ctx.env);
  const concurrency = parseConcurrency(flags.concurrency);
  const requested = parseReports(flags.report, ctx.cwd);
  const secretNames = parseSecretNames(flags.secret);
  if (!flags.attest && (flags.key || flags.attestOut || flags.attestSubject?.length)) throw new UsageError('--key, --attest-out and --attest-subject go with --attest');
  for (const s of flags.attestSubject ?? []) if (s.includes('@sha256:') && !parseDigestSubject(s)) throw new UsageError(`--attest-subject ${s}: expected a file or NAME@sha256:<64 hex digits>`);
  let key: SigningKey | undefined;
  if (flags.attest) {
    if (!flags.key) throw new UsageError('--attest needs --key FILE (an ed25519 private key)', 'make one with `shipgate keygen --out release`');
    // Read before any gate runs: a key that cannot be used is a usage error, not a surprise at the end.
    try {
      key = await signingKeyFrom(flags.key, ctx.cwd, ctx.env);
    } catch (e) {
      throw new UsageError((e as Error).message, 'give the .key file that `shipgate keygen` wrote (or an unencrypted OpenSSH ed25519 key), or env:NAME for a variable holding it');
    }
  }
  // A key given as a variable is read once, here; no gate, service or step ever sees it (they run
  // untrusted code that could sign a decision of its own), and its text is masked everywhere.
  const keyVar = flags.key ? keyVariable(flags.key) : undefined;
  const runEnvironment: NodeJS.ProcessEnv = keyVar ? { ...ctx.env, [keyVar]: undefined } : ctx.env;
  if (keyVar) secretNames.push(keyVar);
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  // Everything written or sent is masked with the run's secrets — the notify URLs and tokens included.
  const secrets = [...new Set([...secretValues(ctx.env, { names: [...config.secrets, ...secretNames, ...storeVariables(config)] }), ...notifySecrets(config, ctx.env)])].sort((a, b) => b.length - a.length);
  const say = (text: string) => printable(redactText(text, secrets));

  // The CI this runs in reads commands from the log: nothing a gate printed may act as one.
  const vendor = ciVendor(ctx.env)?.constant;
  const guard = guardFor(vendor);
  const stdout = guard ? guard.wrap(ctx.stdout) : ctx.stdout;
  const stderr = guard ? guard.wrap(ctx.stderr) : ctx.stderr;
  // With --json, stdout carries only the decision; the human view and CI commands go to stderr.
  const human = flags.json ? stderr : stdout;
  const commands = flags.json ? ctx.stderr : ctx.stdout;
  for (const line of guard?.stop() ?? []) commands.write(`${line}\n`);

  const targets: ReportTarget[] = [...requested];
  const native = flags.ciReport === false ? undefined : nativeReporterFor(vendor);
  if (native && !targets.some((t) => t.kind === native)) targets.push({ kind: native, requested: false });

  // An output the user asked for that could not be written is not a success, whatever the decision.
  let outputFailed = false;
  const sink: SinkContext & { guard?: typeof guard } = {
    env: ctx.env,
    rootDir: config.rootDir,
    commands,
    warn: (m) => stderr.write(`shipgate: ${say(m)}\n`),
    guard,
  };
  const reporters: Reporter[] = [
    terminalReporter({ stream: human, color: useColor(human, ctx.env), live: !!human.isTTY && !ci }),
    ...targets.map((t) =>
      guarded(t, REPORTERS[t.kind].create(t.path, sink), secrets, (target, _hook, e) => {
        if (target.requested) outputFailed = true;
        stderr.write(`${say(describeFailure(target, e))}${target.requested ? '' : ' — a default CI report; the exit code is unchanged'}\n`);
      }),
    ),
  ];
  if (flags.json) reporters.push(jsonStreamReporter(jsonSafeStream(ctx.stdout, vendor)));
  const decision = await run({
    cwd: ctx.cwd,
    config,
    version,
    ci,
    with: flags.with,
    skip: flags.skip,
    only: flags.only,
    strict: flags.strict,
    concurrency,
    failFast: flags.failFast,
    reporters,
    signal: ctx.signal,
    history: flags.history,
    requireClean: flags.requireClean,
    publish: flags.publish,
    secretNames,
    labels: parseLabels(flags.label),
    env: runEnvironment,
    onReporterError: (hook, e) => {
      outputFailed = true;
      const code = (e as { code?: string }).code;
      stderr.write(`shipgate: a reporter failed in ${hook}: ${say((e as Error).message)}${code ? ` [${code}]` : ''} (the decision is unchanged)\n`);
    },
  });

  if (key) {
    try {
      const extraSubjects = await Promise.all((flags.attestSubject ?? []).map((s) => subjectFrom(s, ctx.cwd)));
      const { envelope, statement } = await attest(decision, key, { rootDir: config.rootDir, shipgateVersion: shipgateVersion(), secrets, extraSubjects });
      const text = envelopeJson(envelope);
      const paths = [join(decision.runDir, ATTESTATION_FILE), ...(flags.attestOut ? [resolve(ctx.cwd, flags.attestOut)] : [])];
      for (const p of paths) await safeWriteFile(p, text);
      human.write(`attestation: ${statement.predicate.verificationResult} for ${statement.subject.length} subject${statement.subject.length === 1 ? '' : 's'}, signed by ${envelope.signatures[0]!.keyid} → ${paths.map((p) => say(p)).join(', ')}\n`);
    } catch (e) {
      outputFailed = true;
      const why = e instanceof AttestError ? e.message : `${(e as Error).message}${(e as { code?: string }).code ? ` [${(e as { code?: string }).code}]` : ''}`;
      stderr.write(`shipgate: the attestation was not written: ${say(why)} (the decision is unchanged)\n`);
    }
  }

  if (config.notify && flags.notify !== false) {
    if (decision.interrupted) stderr.write('shipgate: notifications not sent: the run was interrupted\n');
    else {
      for (const r of await notifyAll(decision, config, { env: ctx.env, secrets, version: shipgateVersion() })) {
        if (r.ok && r.skipped) continue;
        if (r.ok) human.write(`notify ${r.name}: ${r.message}\n`);
        else stderr.write(`shipgate: warning: notify ${r.name} ${r.message} (the decision and exit code are unchanged)\n`);
      }
    }
  }

  const code = exitCodeForDecision(decision);
  return outputFailed && code === EXIT.READY ? EXIT.USAGE : code;
}

/**
 * The command-line surface. Commands are loaded lazily so `shipgate --version` and `--help` stay
 * fast; each action returns an exit code through `setExit`, and only main.ts exits.
 */
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { collect, collectList } from './options.js';

export function buildProgram(ctx: CliContext, version: string, setExit: (code: number) => void): Command {
  const program = new Command('shipgate')
    .description('Run the release gate: gates as a graph, judged on evidence → RELEASE READY or RELEASE BLOCKED.')
    .version(version, '-V, --version')
    // Options belong to the command they follow: `approve … --version 1.0.0` is the approve flag,
    // not the program's --version.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });

  const configOpt = () => new Option('-c, --config <path>', 'configuration file, or - for standard input (default: ./shipgate.yml)');
  const selection = (cmd: Command) =>
    cmd
      .option('--with <ids>', 'enable an optional gate (repeatable, comma-separated)', collectList)
      .option('--skip <ids>', 'leave a gate out (repeatable, comma-separated)', collectList)
      .option('--only <ids>', 'run only these gates and what they need (repeatable, comma-separated)', collectList)
      .addOption(new Option('--ci', 'CI mode: run `when: ci` gates, skip `when: local` (default when $CI is set)').conflicts('local'))
      .option('--local', 'local mode: run `when: local` gates, skip `when: ci`');

  selection(
    program
      .command('run')
      .description('run the gates and decide')
      .argument('[version]', 'version being released (default: git describe --tags --always, else package.json)')
      .addOption(configOpt()),
  )
    .option('--strict', 'a skipped blocking gate blocks the release')
    .option('--concurrency <n>', 'gates run at once (default: number of cores)')
    .option('--fail-fast', 'stop everything at the first blocking failure')
    .option('--json', 'print the decision as JSON on stdout (the summary goes to stderr)')
    .option('--report <kind[=path]>', 'also write a report: json, junit, markdown, html, codequality, github, gitlab, buildkite, azure; e.g. junit=out/shipgate.xml (repeatable; without a path: .shipgate/reports/)', collect)
    .option('--no-ci-report', "do not turn on the CI's native reporter (GitHub, GitLab, Buildkite, Azure) by default")
    .option('--no-notify', 'do not send the notifications of `notify:`')
    .option('--attest', 'sign the decision: an in-toto statement in a DSSE envelope, attestation.intoto.json in the run folder')
    .option('--key <file>', 'with --attest: the ed25519 private key (from `shipgate keygen`), or env:NAME for a variable holding it')
    .option('--attest-out <path>', 'with --attest: also write the attestation here')
    .option('--attest-subject <file-or-name@sha256:hex>', 'with --attest: another subject besides the artifacts (repeatable)', collect)
    .option('--no-history', 'do not read or record history (no store is opened)')
    .option('--require-clean', 'block the release when the working tree has uncommitted changes')
    .option('--publish', 'after a READY, full, clean run is recorded, run the `publish:` steps')
    .option('--secret <names>', 'mask the value of this environment variable everywhere (repeatable, comma-separated)', collectList)
    .option('--label <names>', 'label this release (repeatable, comma-separated), e.g. fix: an SLO budget\'s fix-label lets it through a spent budget', collectList)
    .action(async (v: string | undefined, flags) => {
      const { runCommand } = await import('./commands/run.js');
      setExit(await runCommand(v, flags, ctx));
    });

  selection(program.command('plan').description('show the gate graph and what would run or be skipped, and why; runs nothing').addOption(configOpt()))
    .option('--json', 'print the plan as JSON')
    .action(async (flags) => {
      const { planCommand } = await import('./commands/plan.js');
      setExit(await planCommand(flags, ctx));
    });

  program
    .command('init')
    .description('write a starter shipgate.yml for this repository (its test, lint and build tools, with the reports shipgate reads)')
    .option('--force', 'overwrite an existing shipgate.yml')
    .option('--dry-run', 'print the configuration instead of writing it')
    .action(async (flags) => {
      const { initCommand } = await import('./commands/init.js');
      setExit(await initCommand(flags, ctx));
    });

  program
    .command('attest')
    .description('sign a recorded run: in-toto statement (SLSA verification summary) in a DSSE envelope')
    .argument('<run>', 'run id (or unique prefix), or the path of a run folder or decision.json')
    .addOption(configOpt())
    .option('--key <file>', 'ed25519 private key (from `shipgate keygen`), or env:NAME for a variable holding it')
    .option('--out <path>', 'also write the attestation here')
    .option('--subject <file-or-name@sha256:hex>', 'another subject besides the artifacts (repeatable)', collect)
    .action(async (run: string, flags) => {
      const { attestCommand } = await import('./commands/attest.js');
      setExit(await attestCommand(run, flags, ctx));
    });

  program
    .command('verify')
    .description('check an attestation: exit 0 only for a valid signature, PASSED, and (with --subject) a matching digest')
    .argument('<file>', 'attestation.intoto.json')
    .option('--key <file>', 'the public key it must be signed with (NAME.pub)')
    .option('--subject <file-or-sha256:hex>', 'the artifact being deployed: its sha256 must be a subject')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, flags) => {
      const { verifyCommand } = await import('./commands/verify.js');
      setExit(await verifyCommand(file, flags, ctx));
    });

  program
    .command('keygen')
    .description('make an ed25519 key pair: NAME.key (private, mode 0600) and NAME.pub (OpenSSH line)')
    .option('--out <name>', 'file name without extension')
    .option('--comment <text>', 'comment in the public key line (default shipgate)')
    .action(async (flags) => {
      const { keygenCommand } = await import('./commands/keygen.js');
      setExit(await keygenCommand(flags, ctx));
    });

  program
    .command('validate')
    .description('check a configuration file; exit 2 with every mistake and its location')
    .addOption(configOpt())
    .action(async (flags) => {
      const { validateCommand } = await import('./commands/validate.js');
      setExit(await validateCommand(flags, ctx));
    });

  program
    .command('schema')
    .description('print the JSON Schema of shipgate.yml (for editors)')
    .action(async () => {
      const { schemaCommand } = await import('./commands/schema.js');
      setExit(schemaCommand(ctx));
    });

  program
    .command('serve')
    .description('a read-only dashboard over the history: runs, a run, trends, tests, delivery, releases (JSON API under /api/)')
    .addOption(configOpt())
    .option('--port <n>', 'port to listen on (default 8080; 0 picks a free one)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1); anything but loopback needs a token')
    .option('--token <token>', 'require this token on every request (default: $SHIPGATE_SERVE_TOKEN)')
    .action(async (flags) => {
      const { serveCommand } = await import('./commands/serve.js');
      setExit(await serveCommand(flags, ctx));
    });

  program
    .command('prune')
    .description("remove old runs' test rows, findings and logs; decisions, durations and metrics stay (trends survive)")
    .addOption(configOpt())
    .requiredOption('--older-than <age>', 'runs started longer ago than this: 90d, 12w, 36h')
    .option('--keep-last-good', "spare each branch's last-good run")
    .option('--json', 'print what was removed as JSON')
    .action(async (flags) => {
      const { pruneCommand } = await import('./commands/prune.js');
      setExit(await pruneCommand(flags, ctx));
    });

  const history = program
    .command('history')
    .description("list the project's recent runs (id, version, commit, branch, decision, duration, retries); export or import the whole history")
    .addOption(configOpt())
    .option('--limit <n>', 'how many runs (default 20)')
    .option('--branch <name>', 'only runs on this branch')
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { historyCommand } = await import('./commands/history.js');
      setExit(await historyCommand(flags, ctx));
    });
  history
    .command('export')
    .description("write the project's whole history (runs, tests, metrics, findings, baselines, approvals, quarantine, rollbacks and publishes) as one file")
    .addOption(configOpt())
    .option('--out <file>', 'write to this file (gzip-compressed when it ends in .gz) instead of stdout')
    .action(async (flags) => {
      const { historyExport } = await import('./commands/history-transfer.js');
      setExit(await historyExport(flags, ctx));
    });
  history
    .command('import')
    .description('bring a file written by `history export` into this store: all of it or nothing; what the store has is kept')
    .argument('<file>', 'a file written by `shipgate history export` (plain or .gz)')
    .addOption(configOpt())
    .action(async (file: string, flags) => {
      const { historyImport } = await import('./commands/history-transfer.js');
      setExit(await historyImport(file, flags, ctx));
    });

  program
    .command('show')
    .description('print one recorded run as its summary was')
    .argument('<run>', 'run id, or a unique prefix of it')
    .addOption(configOpt())
    .option('--json', 'print the recorded run as JSON')
    .action(async (run: string, flags) => {
      const { showCommand } = await import('./commands/show.js');
      setExit(await showCommand(run, flags, ctx));
    });

  program
    .command('flaky')
    .description('list flaky tests with their evidence (runs, commits, flip rate, last seen)')
    .addOption(configOpt())
    .option('--window <n>', 'recent runs to look at (default 50)')
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { flakyCommand } = await import('./commands/flaky.js');
      setExit(await flakyCommand(flags, ctx));
    });

  const quarantine = program.command('quarantine').description('tests whose failure does not block (they still run and are recorded)');
  quarantine
    .command('add')
    .argument('<patterns...>', 'test id patterns (* matches any run of characters)')
    .addOption(configOpt())
    .option('--reason <text>', 'why (required), e.g. a ticket')
    .option('--until <date>', 'YYYY-MM-DD (required, at most defaults.quarantine-max away, 90 days): after this day the test blocks again')
    .option('--by <name>', 'who quarantined it (default: the CI actor, the git user, or $USER)')
    .action(async (patterns: string[], flags) => {
      const { quarantineAdd } = await import('./commands/quarantine.js');
      setExit(await quarantineAdd(patterns, flags, ctx));
    });
  quarantine
    .command('remove')
    .argument('<id-or-pattern>', 'entry id, or a pattern to take out of every entry')
    .addOption(configOpt())
    .action(async (idOrPattern: string, flags) => {
      const { quarantineRemove } = await import('./commands/quarantine.js');
      setExit(await quarantineRemove(idOrPattern, flags, ctx));
    });
  quarantine
    .command('list')
    .addOption(configOpt())
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { quarantineList } = await import('./commands/quarantine.js');
      setExit(await quarantineList(flags, ctx));
    });

  program
    .command('approve')
    .description('sign off a manual gate for this version and commit')
    .argument('<gate>', 'the manual gate')
    .addOption(configOpt())
    .option('--by <name>', 'who signs off (required)')
    .option('--evidence <url-or-file>', 'link or file proving the checklist (required when the gate says so)')
    .option('--note <text>', 'a note kept with the approval')
    .option('--version <version>', 'version approved (default: as `shipgate run` would use)')
    .option('--commit <sha>', 'commit approved (default: HEAD); it must be a commit of this repository')
    .option('--sign <key-file>', 'sign the approval with your ed25519 private key (required when the gate lists manual.keys)')
    .action(async (gate: string, flags) => {
      const { approveCommand } = await import('./commands/approve.js');
      setExit(await approveCommand(gate, flags, ctx));
    });

  program
    .command('approvals')
    .description('list recorded approvals')
    .addOption(configOpt())
    .option('--gate <id>', 'only this gate')
    .option('--version <version>', 'only this version')
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { approvalsCommand } = await import('./commands/approve.js');
      setExit(await approvalsCommand(flags, ctx));
    });

  program
    .command('last-good')
    .description("the newest READY run's version and commit")
    .addOption(configOpt())
    .option('--branch <name>', 'only runs on this branch')
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { lastGoodCommand } = await import('./commands/last-good.js');
      setExit(await lastGoodCommand(flags, ctx));
    });

  const baseline = program.command('baseline').description('metric baselines: show, export, import');
  baseline
    .command('show')
    .addOption(configOpt())
    .option('--branch <name>', 'baseline branch (default: baseline.branch, main)')
    .option('--json', 'print as JSON')
    .action(async (flags) => {
      const { baselineShow } = await import('./commands/baseline.js');
      setExit(await baselineShow(flags, ctx));
    });
  baseline
    .command('export')
    .addOption(configOpt())
    .option('--branch <name>', 'baseline branch (default: baseline.branch, main)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (flags) => {
      const { baselineExport } = await import('./commands/baseline.js');
      setExit(await baselineExport(flags, ctx));
    });
  baseline
    .command('import')
    .argument('<file>', 'a file written by `shipgate baseline export`')
    .addOption(configOpt())
    .action(async (file: string, flags) => {
      const { baselineImport } = await import('./commands/baseline.js');
      setExit(await baselineImport(file, flags, ctx));
    });

  program
    .command('rollback')
    .description('run the rollback steps: to the newest READY, full, clean run of another version than the current release')
    .addOption(configOpt())
    .option('--to <version>', 'roll back to this version (it needs a READY, full, clean run, or --force)')
    .option('--from <version>', 'the release being rolled back (default: the newest READY, full, clean run)')
    .option('--branch <name>', 'only runs on this branch')
    .option('--force', 'roll back to a version without a READY, full, clean run (recorded as forced)')
    .option('--by <name>', 'who rolls back (default: the CI actor, the git user, or $USER)')
    .option('--secret <names>', 'mask the value of this environment variable in step logs (repeatable, comma-separated)', collectList)
    .action(async (flags) => {
      const { rollbackCommand } = await import('./commands/rollback.js');
      setExit(await rollbackCommand(flags, ctx));
    });

  program
    .command('rollout [version]')
    .description('staged rollout: shift traffic stage by stage (rollout.stages), run each analysis, wait for approval where asked, roll back on a failure')
    .addOption(configOpt())
    .option('--by <name>', 'who rolls out (default: the CI actor, the git user, or $USER); never their own approver')
    .option('--force', 'roll out a version without a READY, full, clean run (recorded as forced)')
    .option('--secret <names>', 'mask the value of this environment variable in logs and output (repeatable, comma-separated)', collectList)
    .action(async (v: string | undefined, flags) => {
      const { rolloutCommand } = await import('./commands/rollout.js');
      setExit(await rolloutCommand(v, flags, ctx));
    });

  program
    .command('notes')
    .description('release notes in Markdown from a recorded run (default: the latest)')
    .argument('[run]', 'run id or prefix')
    .addOption(configOpt())
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (run: string | undefined, flags) => {
      const { notesCommand } = await import('./commands/notes.js');
      setExit(await notesCommand(run, flags, ctx));
    });

  return program;
}

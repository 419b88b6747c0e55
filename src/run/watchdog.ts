/**
 * The watchdog: a small detached process that outlives a killed shipgate. shipgate starts it once,
 * lazily, when it launches its first command (containment.ts), with its stdin the read end of a
 * pipe only shipgate can write to. When shipgate ends — normally, by a signal, or by a SIGKILL it
 * could do nothing about — the pipe reads EOF, and the watchdog kills whatever is still in the
 * run's cgroup or carries the run's marker, removes the run's cgroup, and exits. A normal exit
 * leaves nothing to kill, so then it is one scan and gone.
 *
 * While it waits it also sweeps up after runs whose shipgate *and* watchdog were both killed: run
 * cgroups and marked processes whose owner no longer runs. That work is here, off shipgate's
 * critical path.
 *
 *   node watchdog.js --token <run token> [--cgroup <run-root cgroup dir>]
 */
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { sweepRun, sweepStaleCgroups, sweepStaleMarkers } from './sweep.js';

process.title = 'shipgate-watchdog';
// Signals meant for shipgate (a terminal's Ctrl-C, a polite TERM to everything) must not end the
// one process that cleans up if shipgate does not get to. It ends when shipgate ends.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => {});

const { values } = parseArgs({ options: { token: { type: 'string' }, cgroup: { type: 'string' } }, strict: false });
const token = typeof values.token === 'string' ? values.token : undefined;
const runRoot = typeof values.cgroup === 'string' ? values.cgroup : undefined;
const self = new Set([process.pid]);

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  if (token) await sweepRun(token, runRoot, self);
  // Nothing else holds the event loop (stdin has ended), so the process now ends by itself.
}

process.stdin.on('data', () => {}); // nothing is ever written; only the end matters
process.stdin.once('end', () => void finish());
process.stdin.once('close', () => void finish());
process.stdin.once('error', () => void finish());
process.stdin.resume();

setImmediate(() => {
  void (async () => {
    if (runRoot) await sweepStaleCgroups(dirname(runRoot), basename(runRoot), true);
    if (!finishing) sweepStaleMarkers(self);
  })().catch(() => {
    // A sweep that fails (a /proc race) is retried by the next run; the watch goes on.
  });
});

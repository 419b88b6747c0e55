/**
 * The terminal reporter. On a TTY: a live view of running gates with elapsed time. Otherwise
 * (CI logs, pipes): one line per gate state change. Then the summary and diagnostics.
 */
import type { Writable } from 'node:stream';
import { createColors } from 'picocolors';
import { formatDuration } from '../util/duration-format.js';
import type { Decision, GateVerdict } from '../decide/types.js';
import type { Reporter, RunInfo } from './reporter.js';
import { printable } from '../util/printable.js';
import { STATUS_LABEL, formatCounts, formatDiagnostics, formatSummary } from './summary.js';

export interface TerminalOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  color: boolean;
  live: boolean;
}

export function terminalReporter(opts: TerminalOptions): Reporter {
  const c = createColors(opts.color);
  const running = new Map<string, number>();
  const write = (s: string) => opts.stream.write(`${s}\n`);
  let timer: NodeJS.Timeout | undefined;
  let drawn = 0;
  const clear = () => {
    if (drawn) opts.stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const now = performance.now();
    const lines = [...running].map(([id, t]) => `  ${c.cyan('●')} ${id} ${c.dim(formatDuration(now - t))}`);
    if (lines.length) opts.stream.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const stamp = () => c.dim(new Date().toISOString().slice(11, 19));

  return {
    onRunStart(info: RunInfo) {
      const runs = info.plan.gates.filter((g) => g.action === 'run').length;
      write(`shipgate: ${printable(info.project)} ${printable(info.version)}${info.commit ? ` @ ${info.commit.slice(0, 12)}` : ''} — ${runs} of ${info.plan.gates.length} gates to run (${info.ci ? 'CI' : 'local'})`);
      if (opts.live) timer = setInterval(draw, 250).unref();
    },
    onGateStart(id) {
      running.set(id, performance.now());
      if (opts.live) draw();
      else write(`${stamp()} start  ${id}`);
    },
    onGateEnd(v: GateVerdict) {
      running.delete(v.id);
      const label = STATUS_LABEL[v.status];
      const colored = v.status === 'pass' ? c.green(label) : v.status === 'fail' || v.status === 'cancelled' ? c.red(label) : c.yellow(label);
      const line = `${v.status === 'skip' || v.status === 'not-run' ? '' : `${formatDuration(v.durationMs)} `}${formatCounts(v.counts)}`.trim();
      const text = `${colored} ${v.id}${line ? ` ${c.dim(line)}` : ''}${v.status !== 'pass' && v.reason ? ` — ${printable(v.reason.split('\n')[0] ?? '')}` : ''}`;
      if (opts.live) {
        clear();
        write(`  ${text}`);
        draw();
      } else {
        write(`${stamp()} ${text}`);
      }
    },
    onDecision(d: Decision) {
      if (timer) clearInterval(timer);
      if (opts.live) clear();
      write('');
      write(formatSummary(d, { color: opts.color }));
      write(formatDiagnostics(d, { color: opts.color }));
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (opts.live) clear();
    },
  };
}

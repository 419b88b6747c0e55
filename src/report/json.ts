/**
 * The decision as JSON: to a file (`--report json=PATH`, and always `decision.json` in the run
 * folder) or to stdout (`--json`). Written to a temporary file and renamed, so a reader never sees
 * half a decision.
 */
import { safeWriteFile } from '../run/safe-write.js';
import type { Writable } from 'node:stream';
import { decisionJson } from '../model/decision-json.js';
import type { Reporter } from './reporter.js';

export { decisionJson };

/** Write a file whole, through symlinks to regular files only, never onto a device, bounded in time (see run/safe-write.ts). */
export const writeFileAtomic = safeWriteFile;

export function jsonFileReporter(path: string): Reporter {
  return { onDecision: (d) => writeFileAtomic(path, decisionJson(d)) };
}

export function jsonStreamReporter(stream: Writable): Reporter {
  return {
    onDecision: (d) => {
      stream.write(decisionJson(d));
    },
  };
}

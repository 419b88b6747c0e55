/**
 * The decision as JSON: to a file (`--report json=PATH`, and always `decision.json` in the run
 * folder) or to stdout (`--json`). Written to a temporary file and renamed, so a reader never sees
 * half a decision.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { Decision } from '../decide/types.js';
import type { Reporter } from './reporter.js';

export function decisionJson(d: Decision): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

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

/**
 * What a check kind kept of what it saw (a query, its window, the raw answer) goes to the run
 * folder, one JSON file per gate and kind, so a reader can check the decision against the data.
 */
import { join } from 'node:path';
import type { KeptEvidence } from '../checks/kind.js';
import { redactDeep } from './redact.js';
import { safeWriteFile } from './safe-write.js';

/** Secrets are masked as everywhere else: a `${env.TOKEN}` spliced into a query never lands in the file. */
export async function keepEvidence(runDir: string, gate: string, kind: string, records: readonly KeptEvidence[], secrets: readonly string[]): Promise<{ kind: string; path: string }> {
  const path = join(runDir, `gate-${gate}.${kind}.json`);
  await safeWriteFile(path, `${JSON.stringify(redactDeep({ gate, kind, records }, secrets), null, 2)}\n`);
  return { kind, path };
}

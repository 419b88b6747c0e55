// node scripts/fresh-reports.mjs <file>...
// Removes the given report files and creates their folders before a test run. Removing them
// means a run that dies before writing its report leaves no report at all (which the gate
// rejects) instead of last run's passing one.
import { mkdir, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/fresh-reports.mjs <report file>...');
  process.exitCode = 2;
} else {
  for (const file of files) {
    const full = resolve(file);
    await rm(full, { force: true });
    await mkdir(dirname(full), { recursive: true });
  }
}

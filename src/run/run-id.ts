import { randomBytes } from 'node:crypto';

/** `20261121-054856-dca701`: sortable by time, unique across machines. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The compact record of every test of one gate in one run: what the store keeps per test instead
 * of a row. About 14 bytes per test in memory and on disk:
 *
 *   key       f64  the test's 52-bit key (test-key.ts), a safe integer
 *   duration  f32  milliseconds; NaN when the report gave none
 *   flags     u8   bits 0–1 status (0 passed, 1 failed, 2 error, 3 skipped), bit 2 flaky
 *   attempts  u8   executions of the test in the run, capped at 255
 *
 * Stored as one BLOB (SQLite) / bytea (PostgreSQL) per run and gate in `test_runs.data`, laid out
 * little-endian as:
 *
 *   offset 0      4 bytes  magic "SGTL"
 *   offset 4      u32      layout version (1)
 *   offset 8      u32      count n
 *   offset 12     u32      reserved (0)
 *   offset 16     n × f64  keys
 *   16 + 8n       n × f32  durations
 *   16 + 12n      n × u8   flags
 *   16 + 13n      n × u8   attempts
 *   total 16 + 14n bytes; entries in report order (not sorted).
 *
 * Tests that failed, errored or were flaky are also kept whole (`bad`): the store writes them as
 * rows of `test_results` with their message, and names their keys in the `test_ids` dictionary.
 * Passing and skipped tests are only in the log: no row, no dictionary entry.
 */
import { endianness } from 'node:os';
import type { TestResult, TestStatus } from '../model/evidence.js';
import { StoreError } from '../errors.js';
import { KeyFilter, KeyTable } from './key-table.js';
import { TestKeyer } from './test-key.js';

export const TEST_LOG_MAGIC = 'SGTL';
export const TEST_LOG_VERSION = 1;
export const TEST_LOG_HEADER_BYTES = 16;
export const TEST_LOG_BYTES_PER_TEST = 14;

const STATUS_CODE: Record<TestStatus, number> = { passed: 0, failed: 1, error: 2, skipped: 3 };
const STATUS_OF: readonly TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
const FLAKY_BIT = 4;
const LITTLE = endianness() === 'LE';

/** Read access to a log's entries (a log being built, or one decoded from the store). */
export interface TestLogEntries {
  readonly count: number;
  /** Views of at least `count` entries. */
  readonly keys: Float64Array;
  readonly durations: Float32Array;
  readonly flags: Uint8Array;
  readonly attempts: Uint8Array;
}

export function statusOf(flags: number): TestStatus {
  return STATUS_OF[flags & 3]!;
}

export function isFlaky(flags: number): boolean {
  return (flags & FLAKY_BIT) !== 0;
}

/** Failed, errored or flaky: the tests kept whole (with their message) besides the log. */
export function isBadTest(t: Pick<TestResult, 'status' | 'flaky'>): boolean {
  return t.status === 'failed' || t.status === 'error' || t.flaky;
}

/** Where a log stood, to go back to when a report turns out unreadable part-way. */
export interface TestLogMark {
  count: number;
  bad: number;
}

/** A growable log of one gate's tests in one project (see the module comment). */
export class TestLog implements TestLogEntries {
  count = 0;
  keys: Float64Array;
  durations: Float32Array;
  flags: Uint8Array;
  attempts: Uint8Array;
  /** The failed, errored and flaky tests, whole, in report order; `badKeys` holds their keys. */
  readonly bad: TestResult[] = [];
  readonly badKeys: number[] = [];
  private readonly keyer: TestKeyer;

  constructor(
    /** The project the keys are computed for: the store refuses a log of another project. */
    readonly project: string,
    capacity = 1024,
  ) {
    this.keyer = new TestKeyer(project);
    const cap = Math.max(16, capacity);
    this.keys = new Float64Array(cap);
    this.durations = new Float32Array(cap);
    this.flags = new Uint8Array(cap);
    this.attempts = new Uint8Array(cap);
  }

  /** A log of `tests` (tests, tools and imports; a run builds its log test by test). */
  static of(project: string, tests: Iterable<TestResult>): TestLog {
    const log = new TestLog(project);
    for (const t of tests) log.push(t);
    return log;
  }

  /** The key of `testId` in this log's project. */
  keyOf(testId: string): number {
    return this.keyer.key(testId);
  }

  /** Append a test; a failed, errored or flaky one is also kept whole. Returns its key. */
  push(t: TestResult): number {
    const key = this.keyer.key(t.id);
    this.pushEntry(key, t.status, t.flaky, t.attempts, t.durationMs);
    if (isBadTest(t)) {
      this.bad.push(t);
      this.badKeys.push(key);
    }
    return key;
  }

  /** Append an entry by key (the migration rebuilds logs of stored rows this way). */
  pushEntry(key: number, status: TestStatus, flaky: boolean, attempts: number, durationMs: number | undefined | null): void {
    if (this.count === this.keys.length) this.grow();
    const i = this.count++;
    this.keys[i] = key;
    this.durations[i] = typeof durationMs === 'number' ? durationMs : Number.NaN;
    this.flags[i] = (STATUS_CODE[status] ?? 0) | (flaky ? FLAKY_BIT : 0);
    this.attempts[i] = attempts >= 255 ? 255 : attempts > 0 ? attempts : 0;
  }

  mark(): TestLogMark {
    return { count: this.count, bad: this.bad.length };
  }

  /** Forget everything appended since `m`. */
  rollback(m: TestLogMark): void {
    this.count = Math.min(this.count, m.count);
    this.bad.length = Math.min(this.bad.length, m.bad);
    this.badKeys.length = this.bad.length;
  }

  /** Append another log of the same project (two entries for one gate). */
  append(other: TestLog): void {
    if (other.project !== this.project) throw new StoreError('STORE_WRITE', `internal: cannot join test logs of projects ${this.project} and ${other.project}`);
    while (this.keys.length < this.count + other.count) this.grow();
    this.keys.set(other.keys.subarray(0, other.count), this.count);
    this.durations.set(other.durations.subarray(0, other.count), this.count);
    this.flags.set(other.flags.subarray(0, other.count), this.count);
    this.attempts.set(other.attempts.subarray(0, other.count), this.count);
    this.count += other.count;
    for (let i = 0; i < other.bad.length; i++) {
      this.bad.push(other.bad[i]!);
      this.badKeys.push(other.badKeys[i]!);
    }
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const keys = new Float64Array(cap);
    keys.set(this.keys);
    const durations = new Float32Array(cap);
    durations.set(this.durations);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    const attempts = new Uint8Array(cap);
    attempts.set(this.attempts);
    this.keys = keys;
    this.durations = durations;
    this.flags = flags;
    this.attempts = attempts;
  }

  /** The stored form (see the module comment). */
  encode(): Buffer {
    return encodeTestLog(this);
  }

  /** Whether each failed, errored or flaky test has one entry only (see badOnce). */
  badOnce(): boolean {
    return badOnce(this, this.badKeys);
  }
}

/**
 * Whether every key of `badKeys` (the log's failed, errored and flaky tests) occurs exactly once
 * in the log. Then a test's row in `test_results` is all there is of it in that log, and a reader
 * that has the row needs not scan the log for it. One pass over the keys.
 */
export function badOnce(log: TestLogEntries, badKeys: readonly number[]): boolean {
  if (badKeys.length === 0) return true;
  const table = new KeyTable(badKeys.length);
  for (let i = 0; i < badKeys.length; i++) if (table.add(badKeys[i]!, i) !== i) return false;
  const seen = new Uint8Array(badKeys.length);
  let once = true;
  new KeyFilter(table).scan(log.keys, log.count, (i) => {
    const slot = table.get(log.keys[i]!);
    if (slot >= 0 && ++seen[slot]! > 1) once = false;
  });
  return once;
}

export function encodeTestLog(log: TestLogEntries): Buffer {
  const n = log.count;
  // Buffer.alloc never hands out a slice of the shared pool: the arrays below are aligned.
  const buf = Buffer.alloc(TEST_LOG_HEADER_BYTES + TEST_LOG_BYTES_PER_TEST * n);
  buf.write(TEST_LOG_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(TEST_LOG_VERSION, 4);
  buf.writeUInt32LE(n, 8);
  buf.writeUInt32LE(0, 12);
  const at = layout(n);
  if (LITTLE) {
    new Float64Array(buf.buffer, buf.byteOffset + at.keys, n).set(log.keys.subarray(0, n));
    new Float32Array(buf.buffer, buf.byteOffset + at.durations, n).set(log.durations.subarray(0, n));
  } else {
    for (let i = 0; i < n; i++) {
      buf.writeDoubleLE(log.keys[i]!, at.keys + 8 * i);
      buf.writeFloatLE(log.durations[i]!, at.durations + 4 * i);
    }
  }
  buf.set(log.flags.subarray(0, n), at.flags);
  buf.set(log.attempts.subarray(0, n), at.attempts);
  return buf;
}

function layout(n: number): { keys: number; durations: number; flags: number; attempts: number; end: number } {
  const keys = TEST_LOG_HEADER_BYTES;
  const durations = keys + 8 * n;
  const flags = durations + 4 * n;
  const attempts = flags + n;
  return { keys, durations, flags, attempts, end: attempts + n };
}

function damaged(what: string): StoreError {
  return new StoreError('STORE_READ', `a stored test log is damaged: ${what}`, { hint: 'the store may be damaged; restore it from a backup or start a new one' });
}

/** Read a stored log. Throws STORE_READ for anything that is not a whole log of this layout. */
export function decodeTestLog(data: Uint8Array): TestLogEntries {
  if (data.byteLength < TEST_LOG_HEADER_BYTES) throw damaged(`${data.byteLength} bytes, shorter than its header`);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.toString('latin1', 0, 4) !== TEST_LOG_MAGIC) throw damaged('it does not start with the SGTL magic');
  const version = buf.readUInt32LE(4);
  if (version !== TEST_LOG_VERSION) throw damaged(`layout version ${version}, this shipgate reads version ${TEST_LOG_VERSION}`);
  const n = buf.readUInt32LE(8);
  const at = layout(n);
  if (at.end !== buf.byteLength) throw damaged(`it says ${n} tests (${at.end} bytes) but holds ${buf.byteLength} bytes`);
  if (!LITTLE) {
    const keys = new Float64Array(n);
    const durations = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = buf.readDoubleLE(at.keys + 8 * i);
      durations[i] = buf.readFloatLE(at.durations + 4 * i);
    }
    return { count: n, keys, durations, flags: buf.subarray(at.flags, at.attempts), attempts: buf.subarray(at.attempts, at.end) };
  }
  // Typed-array views need aligned offsets; a driver's buffer may start anywhere, so copy when not.
  const aligned: Uint8Array = buf.byteOffset % 8 === 0 ? buf : new Uint8Array(buf);
  return {
    count: n,
    keys: new Float64Array(aligned.buffer, aligned.byteOffset + at.keys, n),
    durations: new Float32Array(aligned.buffer, aligned.byteOffset + at.durations, n),
    flags: new Uint8Array(aligned.buffer, aligned.byteOffset + at.flags, n),
    attempts: new Uint8Array(aligned.buffer, aligned.byteOffset + at.attempts, n),
  };
}

/** The part of a stored log that history reads: keys and flags (durations and attempts are left in the store). */
export interface TestLogKeys {
  count: number;
  keys: Float64Array;
  flags: Uint8Array;
}

/**
 * Check and read the slices of a stored log that history asks the database for (its header,
 * its byte length, the keys section and the flags section): throws STORE_READ as decodeTestLog
 * does for anything that is not a whole log of this layout.
 */
export function decodeTestLogKeys(head: Uint8Array, byteLength: number, keys: Uint8Array, flags: Uint8Array): TestLogKeys {
  if (head.byteLength < TEST_LOG_HEADER_BYTES) throw damaged(`${byteLength} bytes, shorter than its header`);
  const h = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (h.toString('latin1', 0, 4) !== TEST_LOG_MAGIC) throw damaged('it does not start with the SGTL magic');
  const version = h.readUInt32LE(4);
  if (version !== TEST_LOG_VERSION) throw damaged(`layout version ${version}, this shipgate reads version ${TEST_LOG_VERSION}`);
  const n = h.readUInt32LE(8);
  const at = layout(n);
  if (at.end !== byteLength) throw damaged(`it says ${n} tests (${at.end} bytes) but holds ${byteLength} bytes`);
  if (keys.byteLength !== 8 * n || flags.byteLength !== n) throw damaged(`its key or flag section is not ${n} entries long`);
  let k: Float64Array;
  if (!LITTLE) {
    const b = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
    k = new Float64Array(n);
    for (let i = 0; i < n; i++) k[i] = b.readDoubleLE(8 * i);
  } else {
    const aligned: Uint8Array = keys.byteOffset % 8 === 0 ? keys : new Uint8Array(keys);
    k = new Float64Array(aligned.buffer, aligned.byteOffset, n);
  }
  return { count: n, keys: k, flags };
}

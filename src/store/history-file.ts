/**
 * The history file of `shipgate history export|import`: a project's whole history in one file, so
 * a throwaway CI runner can bring it in at the start and take it out at the end.
 *
 * JSON Lines (one JSON object per line; gzip-compressed when the name ends in `.gz`):
 * - line 1, the header: `{"shipgate":"history","format":1,"project":…,"schema":…,"exportedAt":…}`;
 * - one line per stored row, `{"t":KIND,…}`, with the row's columns as the store holds them
 *   (snake_case), a run's children after their run and naming it by id (`"run":ID`), test logs
 *   as base64 (`"data"`);
 * - the last line, the trailer: `{"end":true,"records":N}`. A file without it, or whose count does
 *   not match, was cut short and is refused: an import takes a whole history or nothing.
 *
 * The file is untrusted input: every line is checked against its kind's schema here, and the
 * importer checks what a schema cannot (a run named before it is defined, a test name that is not
 * the one its key was made from, a test log that is not a whole log).
 */
import { z } from 'zod';
import { StoreError } from '../errors.js';

export const HISTORY_FILE_FORMAT = 1;
export const HISTORY_FILE_MARK = 'shipgate';

const str = z.string();
const optStr = z.string().nullable();
const int = z.number().int();
const num = z.number().finite();
const optNum = num.nullable();
const flag = z.union([z.literal(0), z.literal(1)]);
/** Test keys are 52-bit integers (test-key.ts). */
const key = z.number().int().nonnegative().max(2 ** 53 - 1);

export const historyHeader = z
  .object({
    shipgate: z.literal('history'),
    format: z.literal(HISTORY_FILE_FORMAT),
    project: z.string().min(1),
    schema: int,
    exportedAt: str,
  })
  .strict();
export type HistoryHeader = z.infer<typeof historyHeader>;

export const historyTrailer = z.object({ end: z.literal(true), records: int.nonnegative() }).strict();

const run = z
  .object({
    t: z.literal('run'),
    id: z.string().min(1),
    version: str,
    commit: optStr,
    branch: optStr,
    ci: flag,
    host: str,
    pid: int,
    config_hash: str,
    started_at: str,
    ended_at: optStr,
    duration_ms: optNum,
    result: z.enum(['READY', 'BLOCKED']).nullable(),
    state: z.enum(['running', 'finished', 'interrupted']),
    retries: int.nonnegative(),
    gates: int.nonnegative(),
    decision: optStr,
    selection: optStr,
    dirty: flag.nullable(),
    dirty_files: int.nonnegative().nullable(),
    tree: optStr,
  })
  .strict();

const ofRun = { run: z.string().min(1), gate: z.string().min(1) };

const gate = z
  .object({ t: z.literal('gate'), ...ofRun, status: str, severity: str, duration_ms: num, attempts: int.nonnegative(), reason: optStr, checks: str })
  .strict();

const testLog = z
  .object({ t: z.literal('test_log'), ...ofRun, count: int.nonnegative(), bad_once: flag, data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64') })
  .strict();

const test = z
  .object({
    t: z.literal('test'),
    ...ofRun,
    test_key: key,
    status: z.enum(['passed', 'failed', 'error', 'skipped']),
    duration_ms: optNum,
    attempts: int.nonnegative(),
    flaky: flag,
    message: optStr,
  })
  .strict();

const testId = z.object({ t: z.literal('test_id'), id: key, test_id: z.string().min(1) }).strict();

const metric = z.object({ t: z.literal('metric'), ...ofRun, name: z.string().min(1), value: num, unit: optStr }).strict();

const finding = z
  .object({ t: z.literal('finding'), ...ofRun, fingerprint: z.string().min(1), level: str, rule: str, file: optStr, line: int.nullable() })
  .strict();

const baselineSample = z
  .object({
    t: z.literal('baseline_sample'),
    branch: z.string().min(1),
    name: z.string().min(1),
    unit: optStr,
    value: num,
    run_id: str,
    version: str,
    commit: optStr,
    started_at: str,
    sample_branch: optStr,
    gate: optStr,
  })
  .strict();

const approval = z
  .object({
    t: z.literal('approval'),
    gate: z.string().min(1),
    version: z.string().min(1),
    commit: optStr,
    by: z.string().min(1),
    evidence: optStr,
    note: optStr,
    at: str,
    definition: optStr,
    signature: optStr,
  })
  .strict();

const quarantine = z
  .object({ t: z.literal('quarantine'), id: z.string().min(1), tests: str, reason: str, until: optStr, by: optStr, added_at: str })
  .strict();

const action = z
  .object({
    t: z.literal('action'),
    id: z.string().min(1),
    kind: z.enum(['rollback', 'publish', 'rollout']),
    by: str,
    from_version: optStr,
    to_version: str,
    to_commit: optStr,
    run_id: optStr,
    forced: flag,
    started_at: str,
    ended_at: optStr,
    duration_ms: optNum,
    result: str,
    steps: str,
  })
  .strict();

export const historyRecord = z.discriminatedUnion('t', [run, gate, testLog, test, testId, metric, finding, baselineSample, approval, quarantine, action]);
export type HistoryRecord = z.infer<typeof historyRecord>;
export type HistoryRecordOf<K extends HistoryRecord['t']> = Extract<HistoryRecord, { t: K }>;

/** A line of a history file that cannot be taken as it is: nothing of the file is imported. */
export class HistoryRecordError extends StoreError {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super('HISTORY_FILE_INVALID', `line ${line}: ${message}`, { hint: 'import a file written by `shipgate history export`, whole and unedited; nothing was imported' });
  }
}

/** What an import added and what it left because the store already had it. */
export interface HistoryImportResult {
  runs: number;
  skippedRuns: number;
  tests: number;
  approvals: number;
  quarantine: number;
  actions: number;
  baselineSamples: number;
}

/** One line of the file, checked: a header, a record, or the trailer. Throws a message (the caller adds the line number). */
export function parseHistoryLine(text: string, line: number): { kind: 'header'; header: HistoryHeader } | { kind: 'record'; record: HistoryRecord } | { kind: 'end'; records: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  if (line === 1) {
    const h = historyHeader.safeParse(value);
    if (!h.success) {
      const v = value as { shipgate?: unknown; format?: unknown } | null;
      if (v && v.shipgate === 'history' && v.format !== HISTORY_FILE_FORMAT) throw new Error(`history file format ${String(v.format)}; this shipgate reads format ${HISTORY_FILE_FORMAT}`);
      throw new Error('not a shipgate history file (the first line is not its header)');
    }
    return { kind: 'header', header: h.data };
  }
  if (value !== null && typeof value === 'object' && 'end' in value) {
    const e = historyTrailer.safeParse(value);
    if (!e.success) throw new Error(`a malformed trailer: ${issueText(e.error)}`);
    return { kind: 'end', records: e.data.records };
  }
  const r = historyRecord.safeParse(value);
  if (!r.success) {
    const t = (value as { t?: unknown } | null)?.t;
    throw new Error(`${typeof t === 'string' ? `a "${t.slice(0, 40)}" record` : 'a record'}: ${issueText(r.error)}`);
  }
  return { kind: 'record', record: r.data };
}

function issueText(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/**
 * `shipgate history export|import`: a project's whole history as one file (history-file.ts), for
 * CI runners that start empty. The file is written whole or not at all (temporary file, renamed),
 * and read as untrusted input: checked line by line inside the import's transaction, so a bad or
 * cut-short file imports nothing.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { ShipgateError, UsageError } from '../../errors.js';
import { HISTORY_FILE_FORMAT, HistoryRecordError, parseHistoryLine, type HistoryHeader, type HistoryRecord } from '../../store/history-file.js';
import { LATEST_VERSION } from '../../store/migrate.js';
import { safeWriteStream } from '../../run/safe-write.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { withStore } from './common.js';

/** The lines of an export, header to trailer; `counts` fills in as it goes. */
async function* exportLines(project: string, records: AsyncIterable<HistoryRecord>, counts: { runs: number; tests: number; records: number }): AsyncGenerator<string> {
  const header: HistoryHeader = { shipgate: 'history', format: HISTORY_FILE_FORMAT, project, schema: LATEST_VERSION, exportedAt: new Date().toISOString() };
  yield `${JSON.stringify(header)}\n`;
  let batch = '';
  for await (const r of records) {
    counts.records++;
    if (r.t === 'run') counts.runs++;
    else if (r.t === 'test_log') counts.tests += r.count;
    batch += `${JSON.stringify(r)}\n`;
    if (batch.length >= 1 << 16) {
      yield batch;
      batch = '';
    }
  }
  yield `${batch}${JSON.stringify({ end: true, records: counts.records })}\n`;
}

export async function historyExport(flags: { config?: string; out?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const counts = { runs: 0, tests: 0, records: 0 };
    const lines = exportLines(config.name, store.exportHistory(config.name), counts);
    if (flags.out) {
      await safeWriteStream(resolve(ctx.cwd, flags.out), lines, flags.out.endsWith('.gz') ? createGzip() : undefined);
      ctx.stderr.write(`exported ${counts.runs} runs (${counts.tests} test results) of ${config.name} to ${flags.out}\n`);
    } else {
      for await (const chunk of lines) {
        if (!ctx.stdout.write(chunk)) await new Promise<void>((r) => ctx.stdout.once('drain', () => r()));
      }
    }
    return EXIT.READY;
  });
}

/** The file as lines, gunzipped when it starts with gzip's magic bytes. */
async function openLines(path: string, shown: string): Promise<AsyncIterator<string>> {
  let magic: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      magic = Buffer.alloc(2);
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UsageError(`cannot read history file ${shown}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'give a file written by `shipgate history export`');
  }
  let input: Readable = createReadStream(path);
  if (magic[0] === 0x1f && magic[1] === 0x8b) input = input.pipe(createGunzip());
  return createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
}

/** Every record of the file with its line; throws HistoryRecordError for a bad line, a damaged stream, or a file cut short. */
async function* recordsOf(lines: AsyncIterator<string>): AsyncGenerator<{ line: number; record: HistoryRecord }> {
  let line = 1;
  let records = 0;
  let ended = false;
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await lines.next();
    } catch (e) {
      throw new HistoryRecordError(line + 1, `the file cannot be read on (${(e as Error).message}): it is damaged or was cut short`);
    }
    if (next.done) break;
    line++;
    if (ended) throw new HistoryRecordError(line, 'text after the trailer');
    if (next.value.trim() === '') throw new HistoryRecordError(line, 'an empty line');
    let parsed: ReturnType<typeof parseHistoryLine>;
    try {
      parsed = parseHistoryLine(next.value, line);
    } catch (e) {
      throw new HistoryRecordError(line, (e as Error).message);
    }
    if (parsed.kind === 'end') {
      if (parsed.records !== records) throw new HistoryRecordError(line, `the trailer counts ${parsed.records} records, the file holds ${records}`);
      ended = true;
      continue;
    }
    if (parsed.kind === 'header') throw new HistoryRecordError(line, 'a second header');
    records++;
    yield { line, record: parsed.record };
  }
  if (!ended) throw new HistoryRecordError(line, 'the file ends without its trailer: it was cut short');
}

export async function historyImport(file: string, flags: { config?: string }, ctx: CliContext): Promise<number> {
  const path = resolve(ctx.cwd, file);
  return withStore(flags, ctx, async (config, store) => {
    const lines = await openLines(path, file);
    const first = await lines.next().catch((e: Error) => {
      throw new HistoryRecordError(1, `the file cannot be read (${e.message})`);
    });
    if (first.done) throw withFile(new HistoryRecordError(1, 'the file is empty'), file);
    let header: HistoryHeader;
    try {
      const parsed = parseHistoryLine(first.value, 1);
      if (parsed.kind !== 'header') throw new Error('not a shipgate history file');
      header = parsed.header;
    } catch (e) {
      throw withFile(new HistoryRecordError(1, (e as Error).message), file);
    }
    if (header.schema > LATEST_VERSION) {
      throw new ShipgateError('HISTORY_FILE_INVALID', `${file} was exported by a newer shipgate (store schema ${header.schema}; this one knows ${LATEST_VERSION})`, {
        hint: 'import it with the shipgate version that exported it, or a newer one',
      });
    }
    // Test keys are made from the project's name: a history moves between stores, not between projects.
    if (header.project !== config.name) {
      throw new ShipgateError('HISTORY_PROJECT_MISMATCH', `${file} holds the history of project ${JSON.stringify(header.project)}, not of ${JSON.stringify(config.name)}`, {
        hint: 'import it with the config of the project that exported it',
      });
    }
    let r;
    try {
      r = await store.importHistory(config.name, recordsOf(lines));
    } catch (e) {
      throw e instanceof HistoryRecordError ? withFile(e, file) : e;
    }
    ctx.stdout.write(
      `imported ${r.runs} runs (${r.tests} test results), ${r.approvals} approvals, ${r.quarantine} quarantine entries, ` +
        `${r.actions} rollbacks and publishes, ${r.baselineSamples} baseline samples into the history of ${config.name}` +
        `${r.skippedRuns ? `; ${r.skippedRuns === 1 ? '1 run was already recorded and left as it was' : `${r.skippedRuns} runs were already recorded and left as they were`}` : ''}\n`,
    );
    return EXIT.READY;
  });
}

/** The error, placed in the file: `FILE:LINE: …`. */
function withFile(e: HistoryRecordError, file: string): ShipgateError {
  return new ShipgateError(e.code, e.message.replace(/^line \d+: /, ''), { hint: e.hint, location: { file, line: e.line } });
}

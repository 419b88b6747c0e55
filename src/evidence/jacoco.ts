/**
 * JaCoCo XML (`jacoco:report`, Gradle `jacocoTestReport`). Per-file figures come from each
 * `<sourcefile>`'s counters (LINE → lines, BRANCH → branches, METHOD → functions, INSTRUCTION →
 * statements, JaCoCo's closest equivalent); totals are the sum over source files, falling back to
 * the report's own counters when the report was written without source files.
 * JaCoCo writes a DOCTYPE naming its `report.dtd`; that exact reference is allowed and never fetched.
 */
import type { CoverageCounter, EvidencePart, FileCoverage, FormatParser } from './model.js';
import { counter, intAttr, totalsFromFiles, walkXml } from './coverage-math.js';

const KIND: Record<string, keyof Omit<FileCoverage, 'file'>> = {
  LINE: 'lines',
  BRANCH: 'branches',
  METHOD: 'functions',
  INSTRUCTION: 'statements',
};

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const files: FileCoverage[] = [];
  const reportCounters: Partial<Record<keyof Omit<FileCoverage, 'file'>, CoverageCounter>> = {};
  let pkg = '';
  let current: FileCoverage | undefined;

  await walkXml(path, displayPath, {
    root: 'report',
    label: 'JaCoCo',
    allowedDoctypes: [/^report\s+PUBLIC\s+"-\/\/JACOCO\/\/DTD Report 1\.\d+\/\/EN"\s+"report\.dtd"$/],
    onOpen(tag) {
      if (tag.name === 'package') {
        pkg = tag.attrs.name ?? '';
      } else if (tag.name === 'sourcefile') {
        const name = tag.attrs.name ?? '';
        current = { file: pkg === '' ? name : `${pkg}/${name}` };
      } else if (tag.name === 'counter') {
        // Every counter must be a count (a negative one anywhere means a damaged report), even
        // those on packages, classes and methods that the totals do not use.
        const ctx = { displayPath, element: 'counter', line: tag.line, col: tag.col };
        const missed = intAttr(tag.attrs, 'missed', ctx);
        const covered = intAttr(tag.attrs, 'covered', ctx);
        const kind = KIND[tag.attrs.type ?? ''];
        if (kind === undefined) return;
        const parent = tag.parents[tag.parents.length - 1];
        if (parent !== 'sourcefile' && parent !== 'report') return;
        const c = counter(covered, missed + covered);
        if (parent === 'sourcefile' && current) current[kind] = c;
        else if (parent === 'report') reportCounters[kind] = c;
      }
    },
    onClose(name) {
      if (name === 'sourcefile' && current) {
        files.push(current);
        current = undefined;
      } else if (name === 'package') {
        pkg = '';
      }
    },
  });

  if (files.length > 0) return { coverage: totalsFromFiles(files) };
  return { coverage: { ...reportCounters, lines: reportCounters.lines ?? counter(0, 0), files } };
}

export const jacocoParser: FormatParser = {
  format: 'jacoco',
  sniff: (head) => /<report\s+name=/.test(head) || /<!DOCTYPE\s+report\s+PUBLIC\s+"-\/\/JACOCO\/\//.test(head),
  parse,
};

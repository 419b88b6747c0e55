/**
 * Cobertura XML (coverage.py `coverage xml`, istanbul/c8 `cobertura`, gcovr, JaCoCo converters).
 * Counts the `<line>` elements of each `<class>` rather than trusting the `lines-valid`/`line-rate`
 * header attributes; classes of one file (Java inner classes) are merged by line number.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FileCoverage, FormatParser } from './model.js';
import { LineHits, counter, intAttr, totalsFromFiles, walkXml } from './coverage-math.js';

interface FileAcc {
  lines: LineHits;
  methods: { covered: number; total: number };
  hasMethods: boolean;
}

/** `condition-coverage="50% (1/2)"` → covered 1 of 2. */
function conditionCoverage(raw: string | undefined): { covered: number; total: number } | undefined {
  const m = raw === undefined ? null : /\((\d+)\s*\/\s*(\d+)\)/.exec(raw);
  return m ? { covered: Number(m[1]), total: Number(m[2]) } : undefined;
}

function moreCoveredThanTotal(displayPath: string, line: number, col: number, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${line}:${col}: ${what}: more covered than there is to cover`, {
    line,
    col,
    hint: 'the report is damaged or was edited; regenerate it',
  });
}

/**
 * The root's `lines-covered`/`lines-valid` and `branches-covered`/`branches-valid`. They are not
 * used for counting (the <line> elements are), but a report claiming more covered than valid
 * cannot be trusted for anything.
 */
function checkRootCounts(displayPath: string, tag: { attrs: Record<string, string>; line: number; col: number }): void {
  for (const kind of ['lines', 'branches'] as const) {
    const covered = tag.attrs[`${kind}-covered`];
    const valid = tag.attrs[`${kind}-valid`];
    if (covered === undefined || valid === undefined || !/^\d+$/.test(covered.trim()) || !/^\d+$/.test(valid.trim())) continue;
    if (Number(covered) > Number(valid)) {
      throw moreCoveredThanTotal(displayPath, tag.line, tag.col, `<coverage> has ${kind}-covered="${covered}" but ${kind}-valid="${valid}"`);
    }
  }
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const files = new Map<string, FileAcc>();
  let current: FileAcc | undefined;
  // Lines listed under <method> repeat the class's own lines; they only decide whether the method ran.
  let methodHit: boolean | undefined;
  let anyMethods = false;

  await walkXml(path, displayPath, {
    root: 'coverage',
    label: 'Cobertura',
    allowedDoctypes: [/^coverage\s+SYSTEM\s+"https?:\/\/cobertura\.sourceforge\.net\/xml\/coverage-0\d\.dtd"$/],
    onOpen(tag) {
      const ctx = { displayPath, element: tag.name, line: tag.line, col: tag.col };
      if (tag.name === 'coverage' && tag.parents.length === 0) checkRootCounts(displayPath, tag);
      else if (tag.name === 'class') {
        const file = tag.attrs.filename ?? tag.attrs.name;
        if (file === undefined) return;
        current = files.get(file);
        if (!current) {
          current = { lines: new LineHits(), methods: { covered: 0, total: 0 }, hasMethods: false };
          files.set(file, current);
        }
      } else if (tag.name === 'method' && current) {
        methodHit = false;
        anyMethods = true;
        current.hasMethods = true;
      } else if (tag.name === 'line' && current) {
        const number = intAttr(tag.attrs, 'number', ctx);
        const hits = intAttr(tag.attrs, 'hits', ctx);
        if (methodHit !== undefined) {
          if (hits > 0) methodHit = true;
          return;
        }
        current.lines.addLine(number, hits);
        if (tag.attrs.branch === 'true') {
          const cond = conditionCoverage(tag.attrs['condition-coverage']);
          if (cond && cond.covered > cond.total) {
            throw moreCoveredThanTotal(displayPath, tag.line, tag.col, `<line number="${number}"> has condition-coverage="${tag.attrs['condition-coverage']}"`);
          }
          if (cond) current.lines.addBranches(number, cond.covered, cond.total);
        }
      }
    },
    onClose(name) {
      if (name === 'method' && current && methodHit !== undefined) {
        current.methods.total++;
        if (methodHit) current.methods.covered++;
        methodHit = undefined;
      } else if (name === 'class') {
        current = undefined;
      }
    },
  });

  const out: FileCoverage[] = [];
  for (const [file, acc] of files) {
    const fc: FileCoverage = { file, lines: acc.lines.lines() };
    if (acc.lines.hasBranches) fc.branches = acc.lines.branchCounter();
    if (anyMethods) fc.functions = counter(acc.methods.covered, acc.methods.total);
    out.push(fc);
  }
  const coverage = totalsFromFiles(out);
  // A report with no classes still says "0 of 0 lines": keep that visible rather than absent.
  coverage.lines ??= counter(0, 0);
  return { coverage };
}

export const coberturaParser: FormatParser = {
  format: 'cobertura',
  sniff: (head) => /<coverage\b[^>]*\bline-rate=/.test(head),
  parse,
};

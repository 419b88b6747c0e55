/**
 * SonarQube generic test coverage (`gcovr --sonarqube`, custom exporters): `<coverage version="1">`
 * with `<file path>` and `<lineToCover lineNumber covered branchesToCover coveredBranches>`.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FileCoverage, FormatParser } from './model.js';
import { LineHits, counter, intAttr, totalsFromFiles, walkXml } from './coverage-math.js';

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const files = new Map<string, LineHits>();
  let current: LineHits | undefined;

  await walkXml(path, displayPath, {
    root: 'coverage',
    label: 'SonarQube generic coverage',
    onOpen(tag) {
      const ctx = { displayPath, element: tag.name, line: tag.line, col: tag.col };
      if (tag.parents.length === 0 && tag.attrs.version !== '1') {
        throw new EvidenceError(
          'EVIDENCE_MALFORMED',
          displayPath,
          `${displayPath}:${tag.line}: <coverage> has version="${tag.attrs.version ?? ''}", SonarQube generic coverage is version="1"`,
          { line: tag.line, hint: 'if this is a Cobertura report, declare the report with format: cobertura' },
        );
      }
      if (tag.name === 'file') {
        const file = tag.attrs.path;
        if (file === undefined || file === '') {
          throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${tag.line}: <file> has no path attribute`, {
            line: tag.line,
          });
        }
        current = files.get(file) ?? new LineHits();
        files.set(file, current);
      } else if (tag.name === 'lineToCover' && current) {
        const line = intAttr(tag.attrs, 'lineNumber', ctx);
        const covered = tag.attrs.covered;
        if (covered !== 'true' && covered !== 'false') {
          throw new EvidenceError(
            'EVIDENCE_MALFORMED',
            displayPath,
            `${displayPath}:${tag.line}:${tag.col}: <lineToCover> has covered="${covered ?? ''}", expected true or false`,
            { line: tag.line, col: tag.col },
          );
        }
        current.addLine(line, covered === 'true' ? 1 : 0);
        if (tag.attrs.branchesToCover !== undefined) {
          const total = intAttr(tag.attrs, 'branchesToCover', ctx);
          const hit = tag.attrs.coveredBranches === undefined ? 0 : intAttr(tag.attrs, 'coveredBranches', ctx);
          if (hit > total) {
            throw new EvidenceError(
              'EVIDENCE_MALFORMED',
              displayPath,
              `${displayPath}:${tag.line}:${tag.col}: <lineToCover lineNumber="${line}"> has coveredBranches="${hit}" but branchesToCover="${total}": more covered than there is to cover`,
              { line: tag.line, col: tag.col, hint: 'the report is damaged or was edited; regenerate it' },
            );
          }
          current.addBranches(line, hit, total);
        }
      }
    },
    onClose(name) {
      if (name === 'file') current = undefined;
    },
  });

  const out: FileCoverage[] = [];
  for (const [file, hits] of files) {
    const fc: FileCoverage = { file, lines: hits.lines() };
    if (hits.hasBranches) fc.branches = hits.branchCounter();
    out.push(fc);
  }
  const coverage = totalsFromFiles(out);
  coverage.lines ??= counter(0, 0);
  return { coverage };
}

export const sonarCoverageParser: FormatParser = {
  format: 'sonar-coverage',
  sniff: (head) => /<coverage\s+version\s*=\s*["']1["']/.test(head) && /<file\s[^>]*\bpath\s*=/.test(head),
  parse,
};

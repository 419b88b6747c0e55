// Local-only pre-release audit (the `package-audit` gate, `when: local`): cheap checks that keep
// the example honest before anyone tags a release from a working tree.
//  1. package.json declares no dependencies: the demo must run on a machine with Node.js alone.
//  2. src/ imports only node: built-ins and relative files, for the same reason.
//  3. No unfinished-work markers (TODO, FIXME, XXX) in src/ or public/.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const MARKER = /\b(?:TODO|FIXME|XXX)\b/;
const IMPORT = /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** @param {string} dir @returns {Promise<string[]>} */
async function listFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

const problems = [];
const pkg = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));
for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
  const names = Object.keys(pkg[field] ?? {});
  if (names.length > 0) problems.push(`package.json: ${field} lists ${names.join(', ')}; the demo must need Node.js only`);
}

let scanned = 0;
for (const dir of ['src', 'public']) {
  for (const file of await listFiles(join(here, dir))) {
    const rel = relative(here, file);
    const lines = (await readFile(file, 'utf8')).split('\n');
    scanned++;
    lines.forEach((line, i) => {
      if (MARKER.test(line)) problems.push(`${rel}:${i + 1}: unfinished-work marker: ${line.trim()}`);
      if (dir !== 'src') return;
      for (const match of line.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2];
        if (!spec.startsWith('node:') && !spec.startsWith('.')) problems.push(`${rel}:${i + 1}: imports "${spec}"; use node: built-ins or relative files only`);
      }
    });
  }
}

if (scanned === 0) {
  console.error('audit: found no files under src/ or public/; run it from examples/demo');
  process.exitCode = 1;
} else if (problems.length > 0) {
  console.error(`audit: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exitCode = 1;
} else {
  console.log(`audit: ok (${scanned} files, no dependencies, no unfinished-work markers)`);
}

// Build the front-end bundle: node scripts/build.mjs <version>  →  dist/demo-web-<version>.tar.gz
// The version defaults to $SHIPGATE_VERSION. SOURCE_DATE_EPOCH, when set, fixes the timestamps.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleEntries, bundleName, checkVersion } from '../src/build/bundle.mjs';
import { createTar } from '../src/build/tar.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const publicDir = join(here, 'public');
const distDir = join(here, 'dist');

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

async function main() {
  const version = checkVersion(process.argv[2] || process.env.SHIPGATE_VERSION);
  const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : Math.floor(Date.now() / 1000);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`SOURCE_DATE_EPOCH=${process.env.SOURCE_DATE_EPOCH} is not a number of seconds`);

  const paths = await listFiles(publicDir);
  const files = await Promise.all(
    paths.map(async (full) => ({ path: relative(publicDir, full).split(sep).join('/'), data: await readFile(full) })),
  );
  const gz = gzipSync(createTar(bundleEntries(version, files, epoch)), { level: 9 });

  await mkdir(distDir, { recursive: true });
  const target = join(distDir, bundleName(version));
  // Write then rename, so an interrupted build never leaves a truncated archive under the final name.
  await writeFile(`${target}.partial`, gz);
  await rename(`${target}.partial`, target);
  console.log(`built ${relative(here, target)} (${files.length} files, ${gz.length} bytes)`);
}

main().catch((err) => {
  console.error(`build failed: ${err.message}`);
  process.exitCode = 1;
});

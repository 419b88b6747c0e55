// What goes into the web bundle and how it is named. Pure: the build script reads the files.
import { createHash } from 'node:crypto';

/** Versions end up in file names, so only a plain semver-like shape is accepted. */
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** @param {string | undefined} version */
export function checkVersion(version) {
  if (!version) throw new Error('no version given: pass one (node scripts/build.mjs 1.2.3) or set SHIPGATE_VERSION');
  if (!VERSION.test(version)) throw new Error(`version ${JSON.stringify(version)} is not of the form 1.2.3 or 1.2.3-rc.1`);
  return version;
}

/** @param {string} version */
export function bundleName(version) {
  return `demo-web-${checkVersion(version)}.tar.gz`;
}

/**
 * The archive entries: every file under a top-level folder, plus a manifest listing each file's
 * size and sha256 so a deploy step can verify what it unpacked.
 * @param {string} version
 * @param {{ path: string, data: Uint8Array }[]} files paths relative to the public root, forward slashes
 * @param {number} mtime seconds since the epoch
 */
export function bundleEntries(version, files, mtime) {
  if (files.length === 0) throw new Error('nothing to bundle: the public folder has no files');
  const folder = `demo-web-${checkVersion(version)}`;
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = {
    name: 'shipgate-demo-web',
    version,
    files: sorted.map((f) => ({ path: f.path, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex') })),
  };
  return [
    ...sorted.map((f) => ({ name: `${folder}/${f.path}`, data: f.data, mtime })),
    { name: `${folder}/manifest.json`, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mtime },
  ];
}

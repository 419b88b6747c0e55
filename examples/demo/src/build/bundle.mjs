// What goes into the web bundle and how it is named. Pure: the build script reads the files.
import { createHash } from 'node:crypto';

/**
 * Versions end up in file names, so only characters that are safe there are accepted: semver
 * (`1.2.3-rc.1+build.5`), a tag (`v1.2.3`) or what `git describe --tags --always` prints
 * (`v1.2.3-4-gabc1234`, or a bare commit `abc1234` in a repository without tags).
 */
const VERSION = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

/** @param {string | undefined} version */
export function checkVersion(version) {
  if (!version) throw new Error('no version given: pass one (node scripts/build.mjs 1.2.3) or set SHIPGATE_VERSION');
  if (!VERSION.test(version)) throw new Error(`version ${JSON.stringify(version)} is not a version: use letters, digits, . _ + - (like 1.2.3, v1.2.3 or v1.2.3-4-gabc1234)`);
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

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bundleEntries, bundleName, checkVersion } from '../../src/build/bundle.mjs';
import { createTar } from '../../src/build/tar.mjs';

/** Reads a ustar archive back, checking each header's checksum; enough to test the writer. */
function readTar(buf) {
  const entries = [];
  let offset = 0;
  while (offset + 512 <= buf.length) {
    const header = buf.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, len) => header.subarray(start, start + len).toString('ascii').replace(/\0.*$/s, '').trim();
    const stored = parseInt(field(148, 8), 8);
    const copy = Buffer.from(header);
    copy.fill(0x20, 148, 156);
    const sum = copy.reduce((a, b) => a + b, 0);
    assert.equal(stored, sum, `checksum of ${field(0, 100)}`);
    assert.equal(field(257, 6), 'ustar');
    const size = parseInt(field(124, 12), 8);
    entries.push({ name: field(0, 100), size, mode: parseInt(field(100, 8), 8), mtime: parseInt(field(136, 12), 8), type: field(156, 1), data: buf.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return { entries, end: offset };
}

describe('tar writer', () => {
  test('writes entries that read back with valid checksums', () => {
    const tar = createTar([
      { name: 'pkg/a.txt', data: Buffer.from('hello\n'), mtime: 1700000000 },
      { name: 'pkg/empty', data: Buffer.alloc(0) },
      { name: 'pkg/block.bin', data: Buffer.alloc(512, 7), mode: 0o600 },
    ]);
    assert.equal(tar.length % 512, 0);
    const { entries, end } = readTar(tar);
    assert.deepEqual(entries.map((e) => [e.name, e.size, e.type]), [['pkg/a.txt', 6, '0'], ['pkg/empty', 0, '0'], ['pkg/block.bin', 512, '0']]);
    assert.equal(entries[0].data.toString(), 'hello\n');
    assert.equal(entries[0].mtime, 1700000000);
    assert.equal(entries[2].mode, 0o600);
    // Two zero blocks end the archive.
    assert.equal(tar.length - end, 1024);
    assert.ok(tar.subarray(end).every((b) => b === 0));
  });

  test('refuses names it cannot store faithfully', () => {
    assert.throws(() => createTar([{ name: 'x'.repeat(101), data: Buffer.alloc(1) }]), /1\.\.100 bytes/);
    assert.throws(() => createTar([{ name: '', data: Buffer.alloc(1) }]), /1\.\.100 bytes/);
    assert.throws(() => createTar([{ name: 'caf\u00e9.txt', data: Buffer.alloc(1) }]), /printable ASCII/);
    assert.throws(() => createTar([{ name: '/etc/passwd', data: Buffer.alloc(1) }]), /relative/);
    assert.throws(() => createTar([{ name: 'a/../b', data: Buffer.alloc(1) }]), /relative/);
    assert.throws(() => createTar([{ name: 'a', data: Buffer.alloc(1) }, { name: 'a', data: Buffer.alloc(2) }]), /duplicate/);
  });
});

describe('web bundle', () => {
  test('accepts release versions and rejects anything unsafe in a file name', () => {
    assert.equal(checkVersion('1.4.0'), '1.4.0');
    assert.equal(checkVersion('2.0.0-rc.1+build.5'), '2.0.0-rc.1+build.5');
    assert.equal(bundleName('1.4.0'), 'demo-web-1.4.0.tar.gz');
    assert.throws(() => checkVersion(undefined), /no version given/);
    assert.throws(() => checkVersion(''), /no version given/);
    assert.equal(checkVersion('v1.4.0-3-gabc1234'), 'v1.4.0-3-gabc1234');
    assert.equal(checkVersion('abc1234'), 'abc1234');
    for (const bad of ['1.4.0/../../x', '1.4.0 ; rm -rf /', '-rf', '.hidden', 'a'.repeat(65)]) assert.throws(() => checkVersion(bad), /not a version/, bad);
  });

  test('puts every file under one folder with a manifest of sizes and hashes', () => {
    const files = [
      { path: 'index.html', data: Buffer.from('<div id="root"></div>') },
      { path: 'assets/app.js', data: Buffer.from('console.log(1)') },
    ];
    const entries = bundleEntries('1.2.3', files, 1700000000);
    assert.deepEqual(entries.map((e) => e.name), ['demo-web-1.2.3/assets/app.js', 'demo-web-1.2.3/index.html', 'demo-web-1.2.3/manifest.json']);
    const manifest = JSON.parse(entries[2].data.toString());
    assert.equal(manifest.version, '1.2.3');
    assert.deepEqual(manifest.files[1], {
      path: 'index.html',
      size: 21,
      sha256: createHash('sha256').update('<div id="root"></div>').digest('hex'),
    });
  });

  test('survives gzip round trip intact', () => {
    const entries = bundleEntries('1.2.3', [{ path: 'index.html', data: Buffer.from('x'.repeat(3000)) }], 0);
    const { entries: back } = readTar(gunzipSync(gzipSync(createTar(entries))));
    assert.equal(back[0].data.toString(), 'x'.repeat(3000));
    assert.equal(back.length, 2);
  });

  test('refuses to build an empty bundle', () => {
    assert.throws(() => bundleEntries('1.2.3', [], 0), /nothing to bundle/);
  });
});

// A minimal ustar writer: regular files only, which is all a web bundle needs. Pure (bytes in,
// bytes out) so the format is unit tested; gzip and the file system stay in the build script.

const BLOCK = 512;

/**
 * @param {{ name: string, data: Uint8Array, mode?: number, mtime?: number }[]} files
 *   `mtime` in seconds since the epoch (default 0, for reproducible archives).
 * @returns {Buffer} the archive, including the two zero blocks that end it
 */
export function createTar(files) {
  const seen = new Set();
  const parts = [];
  for (const file of files) {
    checkName(file.name);
    if (seen.has(file.name)) throw new Error(`tar: duplicate entry ${JSON.stringify(file.name)}`);
    seen.add(file.name);
    parts.push(header(file.name, file.data.length, file.mode ?? 0o644, file.mtime ?? 0));
    parts.push(Buffer.from(file.data));
    const pad = (BLOCK - (file.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** @param {string} name */
function checkName(name) {
  // ustar's name field holds 100 bytes; longer names need the prefix field or PAX headers,
  // which this writer does not do — refuse instead of truncating silently.
  if (name.length === 0 || Buffer.byteLength(name) > 100) throw new Error(`tar: entry name must be 1..100 bytes: ${JSON.stringify(name)}`);
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(name)) throw new Error(`tar: entry name must be printable ASCII: ${JSON.stringify(name)}`);
  if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`tar: entry name must be relative without "..": ${JSON.stringify(name)}`);
}

/**
 * @param {string} name @param {number} size @param {number} mode @param {number} mtime
 */
function header(name, size, mode, mtime) {
  if (size > 0o77777777777) throw new Error(`tar: ${name} is too large for a ustar entry`);
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'ascii');
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.floor(mtime));
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block.write('0', 156, 1, 'ascii'); // regular file
  block.write('ustar\u0000', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

/** @param {Buffer} block @param {number} offset @param {number} length @param {number} value */
function writeOctal(block, offset, length, value) {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

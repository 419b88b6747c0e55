/** Bytes per size unit, keyed lower case: decimal SI (KB = 1000) and binary IEC (KiB = 1024), as their standards define them. */
export const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

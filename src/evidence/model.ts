/** The evidence model lives in `model/` (below config); kept here so existing imports keep working. */
export * from '../model/evidence.js';

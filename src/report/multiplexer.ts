/** The multiplexer is how the run stage calls reporters, so it lives in `run/multiplexer.ts`; kept here so existing imports keep working. */
export * from '../run/multiplexer.js';

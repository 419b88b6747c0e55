/** Release notes are written by the run stage's publish step, so they live in `run/notes.ts`; kept here so existing imports keep working. */
export * from '../run/notes.js';

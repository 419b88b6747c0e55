/** The graph algorithms live in `util/graph.ts` (config finds cycles with them too); kept here so existing imports keep working. */
export * from '../util/graph.js';

/** Quantities of the expect language live in `config/units.ts`; kept here so existing imports keep working. */
export * from '../config/units.js';

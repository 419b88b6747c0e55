/** Looking into parsed JSON reports without trusting their shape. */

export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

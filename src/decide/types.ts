/** The pipeline's types live in `model/` (below config); kept here so existing imports keep working. */
export type * from '../model/types.js';

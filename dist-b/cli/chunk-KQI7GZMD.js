import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
function e(r,O){return O.NO_COLOR!==void 0&&O.NO_COLOR!==""?!1:O.FORCE_COLOR!==void 0&&O.FORCE_COLOR!=="0"?!0:!!r.isTTY}export{e as a};

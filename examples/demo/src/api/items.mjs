// Release-note items: validation of what clients send, and an in-memory store.
// Validation is pure so the rules can be unit tested without a server.

export const KINDS = Object.freeze(['feature', 'fix', 'breaking', 'docs']);
export const TITLE_MAX = 120;
const ALLOWED_FIELDS = new Set(['title', 'kind']);

/**
 * Check a client payload for a new item.
 * @param {unknown} input parsed JSON body
 * @returns {{ ok: true, value: { title: string, kind: string } } | { ok: false, errors: { field: string, message: string }[] }}
 */
export function validateNewItem(input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(body)', message: 'expected a JSON object like {"title": "...", "kind": "fix"}' }] };
  }
  const errors = [];
  for (const key of Object.keys(input)) {
    // Unknown fields are rejected rather than ignored so that a typo ("titel") is seen at once.
    if (!ALLOWED_FIELDS.has(key)) errors.push({ field: key, message: `unknown field; allowed: ${[...ALLOWED_FIELDS].join(', ')}` });
  }
  const { title, kind } = /** @type {Record<string, unknown>} */ (input);
  if (typeof title !== 'string') {
    errors.push({ field: 'title', message: 'required, a string' });
  } else if (title.trim().length === 0) {
    errors.push({ field: 'title', message: 'must not be blank' });
  } else if (title.trim().length > TITLE_MAX) {
    errors.push({ field: 'title', message: `at most ${TITLE_MAX} characters (got ${title.trim().length})` });
  }
  if (typeof kind !== 'string' || !KINDS.includes(kind)) {
    errors.push({ field: 'kind', message: `one of ${KINDS.join(', ')}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { title: /** @type {string} */ (title).trim(), kind: /** @type {string} */ (kind) } };
}

/** A process-local store; ids are sequential so clients can rely on creation order. */
export function createItemStore(now = () => new Date()) {
  /** @type {Map<number, { id: number, title: string, kind: string, createdAt: string }>} */
  const items = new Map();
  let nextId = 1;
  return {
    add(/** @type {{ title: string, kind: string }} */ value) {
      const item = { id: nextId++, title: value.title, kind: value.kind, createdAt: now().toISOString() };
      items.set(item.id, item);
      return item;
    },
    get(/** @type {number} */ id) {
      return items.get(id);
    },
    list(/** @type {{ kind?: string }} */ filter = {}) {
      const all = [...items.values()];
      return filter.kind ? all.filter((item) => item.kind === filter.kind) : all;
    },
  };
}

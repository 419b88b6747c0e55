/**
 * Map a field path (`gates.api.timeout`) back to `line:col` in the YAML source, so every
 * configuration error points at the place to fix.
 */
import type { LineCounter} from 'yaml';
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { SourceLocation } from '../errors.js';

export type FieldPath = readonly (string | number)[];

export interface Locator {
  /** Where the value at `path` is; falls back to the nearest existing parent. */
  value(path: FieldPath): SourceLocation;
  /** Where the key of the entry at `path` is (for unknown or duplicate keys). */
  key(path: FieldPath): SourceLocation;
}

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

export function yamlLocator(file: string, doc: Document, lines: LineCounter): Locator {
  const at = (offset: number | undefined): SourceLocation => {
    if (offset === undefined) return { file };
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };

  /** Walk as far as the path exists; return the deepest key and value nodes reached. */
  const walk = (path: FieldPath): { key?: Node; value?: Node; complete: boolean } => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) return { key: keyNode, value: node as Node, complete: false };
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return { key: keyNode, value: node as Node, complete: false };
        keyNode = undefined;
        node = item;
      } else {
        return { key: keyNode, value: node as Node, complete: false };
      }
    }
    return { key: keyNode, value: (node ?? undefined) as Node | undefined, complete: true };
  };

  return {
    value(path) {
      const w = walk(path);
      const node = w.value ?? w.key;
      return at(node?.range?.[0] ?? (w.key as Node | undefined)?.range?.[0]);
    },
    key(path) {
      const w = walk(path);
      const node = w.complete ? (w.key ?? w.value) : w.value;
      return at(node?.range?.[0]);
    },
  };
}

/** For configs that are code (shipgate.config.js): no positions, the file only. */
export function fileLocator(file: string): Locator {
  return { value: () => ({ file }), key: () => ({ file }) };
}

/** The field path of the innermost entry whose key or value spans `offset` (for errors the YAML parser reports by position). */
export function pathAt(doc: Document, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  const within = (n: unknown) => {
    const r = (n as Node | undefined)?.range;
    return !!r && offset >= r[0] && offset <= r[2];
  };
  for (let depth = 0; depth < 64; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && (within(it.key) || within(it.value)));
      if (!pair || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      if (within(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => within(it));
      if (i === -1) break;
      path.push(i);
      node = node.items[i];
    } else break;
  }
  return path;
}

/**
 * Schemas built the first time there is a value to check against them.
 *
 * zod builds a schema when it is declared, and building the check kinds' schemas was about 20 ms of
 * every command's start-up (`validate` on a config that uses none of them). A deferred schema is a
 * pipe from an identity transform into a `z.lazy` of the real one:
 *  - an absent optional key is passed over without building it (the transform's side is what
 *    `.optional()` looks at);
 *  - a value present is checked by the real schema: the same issues at the same paths;
 *  - the editor JSON Schema shows the real schema (zod's JSON Schema of a pipe whose input side is
 *    a transform is its output side).
 * It is typed as a plain ZodType of the same input and output, so code cannot reach for an object
 * schema's own methods (`.pick`, `.shape`) on it: use the builder for those.
 */
import { z } from 'zod';

/** `build`'s value, made on the first call and kept. */
export function once<T>(build: () => T): () => T {
  let made = false;
  let value: T | undefined;
  return () => {
    if (!made) {
      value = build();
      made = true;
    }
    return value as T;
  };
}

export function deferred<T extends z.ZodType>(build: () => T): z.ZodType<z.output<T>, z.input<T>> {
  // z.lazy keeps what its getter made, but callers of the getter itself (did-you-mean hints) do not.
  return z.transform((v: unknown) => v).pipe(z.lazy(once(build))) as unknown as z.ZodType<z.output<T>, z.input<T>>;
}

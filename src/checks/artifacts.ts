/**
 * `artifacts:` — the files a gate promises to produce: they exist, have a plausible size, were
 * written during this run, and (when pinned) hold the expected content. The file work is in
 * `artifact-files.ts`; every match is recorded with its sha256.
 */
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { size } from '../config/fields.js';
import { interpolatePath } from '../config/interpolate.js';
import type { ArtifactConfig } from '../config/types.js';
import { parseSize } from '../config/values.js';
import { defineCheckKind, nonEmptyList } from './kind.js';

export const artifactSchema = deferred(() =>
  deferred(() =>
    z.strictObject({
      path: z.string().min(1).meta({ description: 'File or glob, relative to the gate cwd; ${version} is interpolated' }),
      'min-size': size.optional(),
      'max-size': size.optional(),
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'a sha256 is 64 hexadecimal characters')
        .optional(),
      fresh: z.boolean().optional().meta({
        description: 'false: the file may come from before this run (default true: it must be written during the run)',
      }),
    })
  )
);

export type UserArtifact = z.input<typeof artifactSchema>;

const bytes = (s: string | number | undefined): number | undefined => (s === undefined ? undefined : parseSize(s));

export const artifactsKind = defineCheckKind<UserArtifact[], ArtifactConfig[], 'artifacts'>({
  key: 'artifacts',
  schema: z.array(artifactSchema),
  present: nonEmptyList,
  yieldsMetrics: false,
  normalize: (user) =>
    user.map((a) => ({
      path: a.path,
      minSize: bytes(a['min-size']),
      maxSize: bytes(a['max-size']),
      sha256: a.sha256?.toLowerCase(),
      fresh: a.fresh ?? true,
    })),
  rules(raw, at, ctx) {
    if (!Array.isArray(raw)) return;
    raw.forEach((a, i) => {
      if (typeof a === 'object' && a !== null) ctx.checkVars((a as { path?: unknown }).path, [...at, i, 'path']);
    });
  },
  interpolate: (artifacts, vars) => artifacts.map((a) => ({ ...a, path: interpolatePath(a.path, vars) })),
  async run(artifacts, ctx) {
    // Hashing, globbing and file reading load when a gate checks artifacts, not with the schema.
    const { checkArtifacts } = await import('./artifact-files.js');
    const res = await checkArtifacts(artifacts, ctx.cwd, { notBeforeMs: ctx.runStartedMs });
    return { checks: res.checks, ...(res.files.length ? { artifacts: res.files } : {}) };
  },
});

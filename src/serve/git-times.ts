/** Commit times from the local git checkout, for time-to-detect. Shas git does not know are left out. */
import { execFile } from 'node:child_process';

const SHA = /^[0-9a-f]{7,64}$/i;

export function gitCommitTimes(cwd: string): (shas: string[]) => Promise<Map<string, string>> {
  const cache = new Map<string, string | null>();
  return async (shas) => {
    const want = [...new Set(shas)].filter((s) => SHA.test(s) && !cache.has(s));
    for (let i = 0; i < want.length; i += 200) {
      const part = want.slice(i, i + 200);
      for (const s of part) cache.set(s, null);
      // One sha per `git show` failure would drop the batch: ask for each known object in one call.
      const out = await new Promise<string>((resolve) =>
        execFile('git', ['log', '--no-walk=unsorted', '--format=%H %cI', '--ignore-missing', ...part], { cwd, maxBuffer: 8 << 20 }, (err, stdout) => resolve(err ? '' : stdout)),
      );
      for (const line of out.split('\n')) {
        const [sha, at] = line.split(' ');
        if (!sha || !at) continue;
        const iso = new Date(at).toISOString();
        for (const s of part) if (sha.startsWith(s.toLowerCase())) cache.set(s, iso);
      }
    }
    const m = new Map<string, string>();
    for (const s of shas) {
      const v = cache.get(s);
      if (v) m.set(s, v);
    }
    return m;
  };
}

/**
 * Secrets named in the environment never reach logs or reports: not through the command text
 * (`${env.API_TOKEN}` becomes a reference to the variable), not through what the command prints,
 * not through a probe URL built from one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

const SECRET = 'sk-live-0123456789abcdef';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('secrets', () => {
  it('are masked in gate logs, checks and the decision, and never written into commands', async () => {
    const port = await freePort();
    // The probed server is a service of the gate (nobody else may answer a loopback probe); it
    // writes down the authorization it was sent, and answers 418 when the URL holds the secret.
    const dir = await makeProject({
      'server.js': `require('node:http').createServer((req, res) => {
  if (req.url === '/health') return res.end('up');
  require('node:fs').writeFileSync(process.env.SEEN, req.headers.authorization || '');
  res.statusCode = req.url.includes(process.env.API_TOKEN) ? 418 : 200;
  res.end('ok');
}).listen(${port}, '127.0.0.1');`,
      'shipgate.yml': `name: secrets
services:
  api:
    run: node server.js
    env: { SEEN: seen-auth.txt }
    ready: { http: "http://127.0.0.1:${port}/health" }
gates:
  deploy-smoke:
    services: [api]
    run: 'echo "calling with \${env.API_TOKEN}" && echo "token again: $API_TOKEN" >&2'
    probes:
      - get: "http://127.0.0.1:${port}/check?key=\${env.API_TOKEN}"
        headers: { authorization: "Bearer \${env.API_TOKEN}" }
        status: 200
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--json'], { cwd: dir, env: { API_TOKEN: SECRET } });
    // The probe really sent the secret (it is the server's to see), got 418, and the gate failed…
    expect(readFileSync(join(dir, 'seen-auth.txt'), 'utf8'), res.stderr).toBe(`Bearer ${SECRET}`);
    expect(res.code).toBe(1);
    const decision = parseDecision(res.stdout);
    expect(JSON.stringify(decision)).toContain('***');
    // …but nothing shipgate wrote or printed holds it.
    expect(res.stdout + res.stderr).not.toContain(SECRET);
    const written = allFiles(join(dir, '.shipgate')).map((f) => readFileSync(f, 'utf8'));
    expect(written.length).toBeGreaterThan(1);
    for (const content of written) expect(content).not.toContain(SECRET);
    expect(written.join('\n')).toContain('calling with ***');
  });
});

/**
 * Notifications reach real HTTP receivers on 127.0.0.1 — Slack's incoming webhook, a signed
 * webhook, and a pull-request comment through a GitHub API pointed there — after the decision is
 * printed, with bounded retries and time; failures are warnings; URLs and tokens never printed.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { removeProject, runCli } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) s.close();
  for (const d of dirs) await removeProject(d);
});

async function receiver(handle: (req: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      handle(s, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, seen };
}

function allText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.db'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

const HOOK_PATH = '/services/T000/B000/hook-token-abcdef123456';

describe('notify', () => {
  it('Slack, a signed webhook and a pull-request comment (updated in place on the next run)', async () => {
    const slack = await receiver((_, res) => res.end('ok'));
    const hook = await receiver((_, res) => res.end('{}'));
    const comments: { id: number; body: string }[] = [];
    const gh = await receiver((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url.startsWith('/repos/acme/app/issues/7/comments')) return res.end(JSON.stringify(comments.map((c) => ({ ...c, user: { login: 'github-actions[bot]' } }))));
      if (req.method === 'POST' && req.url === '/repos/acme/app/issues/7/comments') {
        const c = { id: 100 + comments.length, body: (JSON.parse(req.body) as { body: string }).body };
        comments.push(c);
        res.statusCode = 201;
        return res.end(JSON.stringify(c));
      }
      const m = /^\/repos\/acme\/app\/issues\/comments\/(\d+)$/.exec(req.url);
      if (req.method === 'PATCH' && m) {
        comments.find((c) => c.id === Number(m[1]))!.body = (JSON.parse(req.body) as { body: string }).body;
        return res.end('{}');
      }
      res.statusCode = 404;
      res.end('{}');
    });
    const dir = await ciProject({
      fail: true,
      extra: `notify:
  slack: { webhook: "\${env.SLACK_WEBHOOK_URL}", on: [blocked, ready] }
  webhook:
    url: "\${env.DEPLOY_HOOK_URL}"
    headers: { X-Team: platform, Authorization: "Bearer \${env.HOOK_TOKEN}" }
    secret: "\${env.HOOK_SECRET}"
  github-comment: { on: [always] }
`,
    });
    dirs.push(dir);
    const event = join(dir, 'event.json');
    await writeFile(event, JSON.stringify({ pull_request: { number: 7 } }));
    const env = {
      SLACK_WEBHOOK_URL: `${slack.url}${HOOK_PATH}`,
      DEPLOY_HOOK_URL: `${hook.url}/deploy/hook-path-0987654321`,
      HOOK_TOKEN: 'tok-1234567890',
      HOOK_SECRET: 'hmac-secret-value',
      GITHUB_TOKEN: 'ghs_fake_token_0123456789',
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_EVENT_PATH: event,
      API_TOKEN: SECRET,
    };
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env });
    expect(r.code).toBe(1);
    // After the decision is printed.
    expect(r.stdout.indexOf('notify slack: sent to')).toBeGreaterThan(r.stdout.indexOf('RESULT: RELEASE BLOCKED'));
    expect(r.stdout).toContain(`notify slack: sent to ${slack.url}`);
    expect(r.stdout).toContain(`notify webhook: sent to ${hook.url} (signed)`);
    expect(r.stdout).toContain('notify github-comment: commented on #7 (comment 100)');

    expect(slack.seen).toHaveLength(1);
    expect(slack.seen[0]!.url).toBe(HOOK_PATH);
    const sp = JSON.parse(slack.seen[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(sp.blocks[0]).toMatchObject({ type: 'header', text: { text: '⛔ RELEASE BLOCKED — demo v1.2.3' } });
    expect(slack.seen[0]!.body).not.toMatch(/<img|<!channel|<@/);

    const w = hook.seen[0]!;
    expect(w.headers['content-type']).toBe('application/json');
    expect(w.headers['x-team']).toBe('platform');
    expect(w.headers.authorization).toBe('Bearer tok-1234567890');
    expect(w.headers['x-shipgate-signature-256']).toBe(`sha256=${createHmac('sha256', 'hmac-secret-value').update(w.body).digest('hex')}`);
    const wp = JSON.parse(w.body) as { result: string; version: string; deliveryId: string; gates: { id: string; status: string }[] };
    expect(wp).toMatchObject({ result: 'BLOCKED', version: '1.2.3' });
    expect(w.headers['x-shipgate-delivery']).toBe(wp.deliveryId);
    expect(wp.gates.find((g) => g.id === 'unit')!.status).toBe('fail');

    const post = gh.seen.find((s) => s.method === 'POST')!;
    expect(post.headers.authorization).toBe('Bearer ghs_fake_token_0123456789');
    expect(comments[0]!.body).toContain('<!-- shipgate:comment:demo -->');
    expect(comments[0]!.body).toContain('⛔ RELEASE BLOCKED');

    for (const s of [...slack.seen, ...hook.seen, ...gh.seen]) expect(s.body).not.toContain(SECRET);
    // No URL path, token or secret is printed or written anywhere.
    const printed = `${r.stdout}\n${r.stderr}\n${allText(join(dir, '.shipgate'))}`;
    for (const secret of [HOOK_PATH, 'hook-path-0987654321', 'tok-1234567890', 'hmac-secret-value', 'ghs_fake_token_0123456789', SECRET]) expect(printed).not.toContain(secret);

    // The next run edits the same comment instead of adding one.
    const again = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env });
    expect(again.stdout).toContain('notify github-comment: updated comment 100 on #7');
    expect(comments).toHaveLength(1);
    expect(gh.seen.filter((s) => s.method === 'PATCH')).toHaveLength(1);
  });

  it('retries a 5xx and succeeds on the third attempt; gives up after three, as a warning, exit code unchanged', async () => {
    let n = 0;
    const flaky = await receiver((_, res) => {
      n++;
      res.statusCode = n < 3 ? 503 : 200;
      res.end(n < 3 ? 'busy' : 'ok');
    });
    const down = await receiver((_, res) => {
      res.statusCode = 500;
      res.end('internal trouble');
    });
    const dir = await ciProject({ fail: false, extra: 'notify:\n  slack: { webhook: "${env.SLACK_WEBHOOK_URL}" }\n  webhook: { url: "${env.HOOK_URL}" }\n' });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { SLACK_WEBHOOK_URL: `${flaky.url}/a/b/c`, HOOK_URL: `${down.url}/x/y/z` } });
    expect(r.code).toBe(0);
    expect(flaky.seen).toHaveLength(3);
    expect(r.stdout).toContain('notify slack: sent to');
    expect(down.seen).toHaveLength(3);
    expect(r.stderr).toContain('shipgate: warning: notify webhook failed after 3 attempts: HTTP 500 (internal trouble) (the decision and exit code are unchanged)');
  });

  it('a receiver that never answers is given up within notify.timeout; a 4xx is not retried', async () => {
    const hang = await receiver(() => {
      /* never answers */
    });
    const reject = await receiver((_, res) => {
      res.statusCode = 404;
      res.end('no_service');
    });
    const dir = await ciProject({ fail: false, extra: 'notify:\n  timeout: 2s\n  slack: { webhook: "${env.SLACK_WEBHOOK_URL}" }\n  webhook: { url: "${env.HOOK_URL}" }\n' });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { SLACK_WEBHOOK_URL: `${hang.url}/s/t/u`, HOOK_URL: `${reject.url}/v/w/x` }, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: notify slack failed( after \d attempts)?: no answer in time/);
    expect(reject.seen).toHaveLength(1);
    expect(r.stderr).toContain('notify webhook failed: HTTP 404 (no_service)');
  });

  it('on:, an unset variable, --no-notify and a local run without a pull request', async () => {
    const hook = await receiver((_, res) => res.end('ok'));
    const dir = await ciProject({ fail: false, extra: 'notify:\n  webhook: { url: "${env.HOOK_URL}", on: [blocked] }\n  slack: { webhook: "${env.SLACK_WEBHOOK_URL}" }\n  github-comment: true\n' });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { HOOK_URL: `${hook.url}/a/b/c` } });
    expect(r.code).toBe(0);
    expect(hook.seen).toHaveLength(0); // READY, and the webhook is only for blocked runs
    expect(r.stderr).toContain('warning: notify slack not sent: SLACK_WEBHOOK_URL is not set');
    expect(r.stderr).toContain('warning: notify github-comment not sent: GITHUB_TOKEN is not set');
    const off = await runCli(['run', '1.2.3', '--no-history', '--no-notify'], { cwd: dir, env: { HOOK_URL: `${hook.url}/a/b/c` } });
    expect(off.stderr).not.toContain('notify');
  });

  it('a notify value may only use ${env.NAME}', async () => {
    const dir = await ciProject({ fail: false, extra: 'notify:\n  slack: { webhook: "https://hooks.example/${version}" }\n' });
    dirs.push(dir);
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('only ${env.NAME} can be used here');
  });
});

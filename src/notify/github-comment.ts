/**
 * A pull-request comment with the decision, updated in place: one comment per project, found by a
 * hidden marker, edited on every run (a new one only when the old cannot be edited). Through the
 * REST API at `$GITHUB_API_URL` (default https://api.github.com) with `$GITHUB_TOKEN`, for the pull
 * request of `$GITHUB_EVENT_PATH` (or `refs/pull/N/…` in `$GITHUB_REF`) in `$GITHUB_REPOSITORY`.
 * The body is the compact Markdown summary, under GitHub's 65,536-character limit; untrusted text
 * is in `<code>`, so it mentions nobody and links nothing.
 */
import { readFileSync } from 'node:fs';
import type { NotifyConfig } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import { formatMarkdown } from '../report/markdown.js';
import { origin, send, type HttpRequest } from './http.js';
import { NotSent, type Notifier, type NotifyContext } from './notifier.js';

export const COMMENT_BUDGET = 60_000;

export function commentMarker(project: string): string {
  return `shipgate:comment:${project.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)}`;
}

/** The pull request this run belongs to, or undefined. */
export function pullRequestNumber(env: NodeJS.ProcessEnv): number | undefined {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const ev = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: unknown }; number?: unknown };
      const n = ev.pull_request?.number ?? (ev.pull_request ? ev.number : undefined);
      if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
    } catch {
      /* fall back to the ref */
    }
  }
  const m = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '');
  return m ? Number(m[1]) : undefined;
}

export function githubCommentNotifier(config: NotifyConfig): Notifier | undefined {
  const c = config.githubComment;
  if (!c) return undefined;
  return {
    name: 'github-comment',
    on: c.on,
    async send(d: Decision, ctx: NotifyContext) {
      const token = ctx.env.GITHUB_TOKEN;
      if (!token) throw new NotSent('GITHUB_TOKEN is not set');
      const repo = ctx.env.GITHUB_REPOSITORY ?? '';
      if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw new NotSent('GITHUB_REPOSITORY is not set to OWNER/REPO');
      const pr = pullRequestNumber(ctx.env);
      if (pr === undefined) throw new NotSent('this run is not for a pull request');
      const api = (ctx.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
      if (!/^https?:\/\//i.test(api)) throw new NotSent('GITHUB_API_URL is not an http(s) URL');
      const headers = {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': `shipgate/${ctx.version}`,
        'content-type': 'application/json',
      };
      const req = (method: HttpRequest['method'], path: string, body?: unknown): HttpRequest => ({ method, url: `${api}${path}`, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const marker = commentMarker(d.project);
      const body = formatMarkdown(d, { compact: true, budget: COMMENT_BUDGET, marker });

      // The newest comment that carries the marker (at most 10 pages of 100 comments are read).
      let existing: number | undefined;
      for (let page = 1; page <= 10; page++) {
        const res = await send(req('GET', `/repos/${repo}/issues/${pr}/comments?per_page=100&page=${page}`), ctx.attempt);
        let list: { id?: unknown; body?: unknown }[];
        try {
          list = JSON.parse(res.body) as typeof list;
        } catch {
          throw new Error('the comments list is not JSON');
        }
        if (!Array.isArray(list)) throw new Error('the comments list is not a list');
        for (const cm of list) if (typeof cm.body === 'string' && cm.body.includes(`<!-- ${marker} -->`) && typeof cm.id === 'number') existing = cm.id;
        if (list.length < 100) break;
      }
      if (existing !== undefined) {
        const edited = await send(req('PATCH', `/repos/${repo}/issues/comments/${existing}`, { body }), ctx.attempt, (s) => (s >= 200 && s < 300) || s === 403 || s === 404);
        if (edited.status < 300) return `updated comment ${existing} on #${pr} (${origin(api)})`;
      }
      const made = await send(req('POST', `/repos/${repo}/issues/${pr}/comments`, { body }), ctx.attempt);
      let id: unknown;
      try {
        id = (JSON.parse(made.body) as { id?: unknown }).id;
      } catch {
        /* the id is only for the message */
      }
      return `commented on #${pr}${typeof id === 'number' ? ` (comment ${id})` : ''} (${origin(api)})`;
    },
  };
}

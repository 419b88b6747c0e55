/**
 * Who may read the dashboard. On loopback without a token, anyone on this machine (the Host header
 * must name loopback too, so a web page elsewhere cannot reach it through DNS rebinding). Anywhere
 * else a token is required, sent as `Authorization: Bearer …`, or once as `?token=…` which the
 * server turns into an HttpOnly cookie. Compared in constant time over hashes of equal length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return false;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant time in the length and content of either value: both are hashed to 32 bytes first. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: the Bearer header wins over the cookie. */
export function requestToken(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (bearer) return bearer[1];
  for (const part of (cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined; // a mangled cookie is no token
    }
  }
  return undefined;
}

export const TOKEN_COOKIE = 'shipgate_token';

/** The Host header's host part (IPv6 in brackets kept as such). */
export function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

/**
 * Is a TCP port already taken, and by whom? Used before starting a service so that a process left
 * over from an earlier run (a squatter) can never answer a readiness check or a probe in its place.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, createServer } from 'node:net';

export interface PortStatus {
  free: boolean;
  /** e.g. `pid 1234 (python3 -m http.server 3000)`, or `unknown process` when /proc does not say. */
  holder?: string;
}

const CONNECT_TIMEOUT_MS = 1000;

/** Host and port a URL points at (default ports by scheme); undefined when it is not a valid http(s) URL. */
export function portOfUrl(url: string): { host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const defaults: Record<string, number> = { 'http:': 80, 'https:': 443 };
  const fallback = defaults[u.protocol];
  if (fallback === undefined) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port === '' ? fallback : Number(u.port) };
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (open: boolean): void => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Binding catches a listener on another address of the same port (e.g. 0.0.0.0 vs 127.0.0.1) that refuses our connect. */
function bindFails(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

/** Socket inodes listening on `port`, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const inode = cols[9];
    if (!local || state !== '0A' || !inode || inode === '0') continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (parseInt(hexPort, 16) === port) inodes.push(inode);
  }
  return inodes;
}

async function readOr(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

export interface Listener {
  pid: number;
  /** The command line, cut to 120 characters. */
  command: string;
}

/** `pid 1234 (python3 -m http.server 3000)`. */
export function describeListener(l: Listener): string {
  return l.command ? `pid ${l.pid} (${l.command})` : `pid ${l.pid}`;
}

/**
 * The processes holding a listening socket on `port` (any address, IPv4 or IPv6), by matching the
 * socket inodes of /proc/net/tcp* with /proc/<pid>/fd. Empty when nothing listens or /proc does
 * not tell (processes of other users cannot be looked into).
 */
export async function listeners(port: number): Promise<Listener[]> {
  if (process.platform !== 'linux') return [];
  const tables = (await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map(readOr))).join('\n');
  const inodes = new Set(listeningInodes(tables, port).map((i) => `socket:[${i}]`));
  if (inodes.size === 0) return [];
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: Listener[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // not ours to look at, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (inodes.has(target)) {
        const cmdline = (await readOr(`/proc/${pid}/cmdline`)).split('\0').filter(Boolean).join(' ');
        found.push({ pid: Number(pid), command: cmdline.length > 120 ? `${cmdline.slice(0, 117)}...` : cmdline });
        break;
      }
    }
  }
  return found;
}

/** Whether something listens on host:port, and when it does, who. */
export async function portHolder(host: string, port: number): Promise<PortStatus> {
  const taken = (await tryConnect(host, port)) || (await bindFails(host, port));
  if (!taken) return { free: true };
  const [holder] = await listeners(port);
  return { free: false, holder: holder ? describeListener(holder) : 'unknown process' };
}

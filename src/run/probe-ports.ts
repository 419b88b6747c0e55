/**
 * Nobody else answers a probe. A probe to a loopback port proves something about this release only
 * when the process answering is one this run started for the gate: a server left over from an
 * earlier run, or one started by hand, would otherwise make the gate pass on the old release.
 *
 * So, for every probe whose URL names a loopback host: before the gate runs and again right before
 * the probe, whoever listens on the port must belong to one of the gate's services (their process
 * trees, see containment). A port nobody listens on is left to the probe (it fails on its own).
 */
import type { Check } from '../decide/types.js';
import { describeListener, listeners, portHolder, portOfUrl } from './ports.js';
import { LOOPBACK } from './services.js';

export interface PortOwner {
  id: string;
  owns(pid: number): boolean;
}

/** A failing check when someone outside `owners` answers on the URL's loopback port; undefined otherwise. */
export async function foreignProbeListener(url: string, owners: readonly PortOwner[], when: 'before the gate' | 'at probe time'): Promise<Check | undefined> {
  const target = portOfUrl(url);
  if (!target || !LOOPBACK.has(target.host)) return undefined;
  const found = await listeners(target.port);
  let holders: string[];
  if (found.length === 0) {
    // Nothing we can see listens; something may still answer (a process /proc does not show us).
    const status = await portHolder(target.host, target.port);
    if (status.free) return undefined;
    holders = [status.holder ?? 'unknown process'];
  } else {
    holders = found.filter((l) => !owners.some((o) => o.owns(l.pid))).map(describeListener);
    if (holders.length === 0) return undefined;
  }
  const ours = owners.length ? `a service of this gate (${owners.map((o) => o.id).join(', ')})` : 'a service of this gate (it uses none)';
  return {
    check: `probe port ${target.port}`,
    expected: `answered only by ${ours}`,
    actual: `held ${when} by ${holders.join(', ')} [PROBE_PORT_FOREIGN]`,
    ok: false,
    message: 'a server shipgate did not start for this gate (left from an earlier run, or started by hand) would answer for this release; stop it, or declare the server as a service the gate uses',
  };
}

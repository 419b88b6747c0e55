/**
 * A gate's chaos timeline: `before` (until the first fault took effect), `fault` (until the faults
 * are undone), `recovery` (once every faulted service is back). The `faults` kind writes it; probes
 * bound to a phase (`during: fault`, `after: recovery`) wait on it. A phase that never comes — the
 * fault could not be done, a service never came back, the gate has no faults — is an answer too:
 * the waiter learns why, and fails (fail closed).
 */

export type ChaosPhase = 'fault' | 'recovery';

export type Reached = { atMs: number } | { never: string };

export interface PhaseTimes {
  startMs?: number;
  faultStartMs?: number;
  faultEndMs?: number;
  recoveryMs?: number;
  /** Why the timeline stopped short, when it did. */
  never?: string;
}

export interface TimelineEvent {
  atMs: number;
  what: string;
}

export class PhaseClock {
  private readonly times: PhaseTimes = {};
  private armed = false;
  /** When the fault phase is planned to end (epoch ms): phase-bound probes do not wait past it. */
  plannedFaultEndMs?: number;
  private readonly waiters = new Set<() => void>();
  /** What happened, in order: faults done and undone, services back, probes that saw recovery. */
  readonly events: TimelineEvent[] = [];

  record(what: string, at = Date.now()): void {
    this.events.push({ atMs: at, what });
  }

  /** The faults kind has started: the phases will come, or `never` will say why not. */
  arm(at = Date.now()): void {
    this.armed = true;
    this.times.startMs = at;
  }

  faultBegan(at = Date.now()): void {
    this.times.faultStartMs ??= at;
    this.wake();
  }

  faultEnded(at = Date.now()): void {
    if (this.times.faultStartMs === undefined) return;
    this.times.faultEndMs ??= at;
    this.wake();
  }

  recovered(at = Date.now()): void {
    if (this.times.faultEndMs === undefined) return;
    this.times.recoveryMs ??= at;
    this.wake();
  }

  /** The phases not reached yet never will be, for `reason`. */
  never(reason: string): void {
    this.times.never ??= reason;
    this.wake();
  }

  /** True from the fault's start until it is undone. */
  inFault(): boolean {
    return this.times.faultStartMs !== undefined && this.times.faultEndMs === undefined;
  }

  snapshot(): PhaseTimes {
    return { ...this.times };
  }

  private at(phase: ChaosPhase): number | undefined {
    return phase === 'fault' ? this.times.faultStartMs : this.times.recoveryMs;
  }

  /** Resolves once `phase` has begun, or with why it never will. */
  reached(phase: ChaosPhase, signal?: AbortSignal): Promise<Reached> {
    return new Promise((resolve) => {
      const look = (): boolean => {
        const at = this.at(phase);
        // A probe that only got to ask after the fault ended was not answered during it.
        if (phase === 'fault' && this.times.faultEndMs !== undefined) resolve({ never: 'the fault phase was over before the probe could run' });
        else if (at !== undefined) resolve({ atMs: at });
        else if (!this.armed) resolve({ never: 'the gate has no faults: nothing starts that phase' });
        else if (this.times.never !== undefined) resolve({ never: this.times.never });
        else if (signal?.aborted) resolve({ never: 'cancelled' });
        else return false;
        return true;
      };
      if (look()) return;
      const onChange = (): void => {
        if (!look()) return;
        this.waiters.delete(onChange);
        signal?.removeEventListener('abort', onChange);
      };
      this.waiters.add(onChange);
      signal?.addEventListener('abort', onChange, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * The chaos timeline: phases come in order, a waiter learns when its phase began or why it never
 * will, and a `during: fault` waiter that only got to ask after the fault is told it was too late.
 */
import { describe, expect, it } from 'vitest';
import { PhaseClock } from './phase-clock.js';

describe('phase clock', () => {
  it('a waiter gets the time its phase began, whether it asked before or after', async () => {
    const clock = new PhaseClock();
    clock.arm(1000);
    const early = clock.reached('fault');
    clock.faultBegan(2000);
    expect(await early).toEqual({ atMs: 2000 });
    expect(await clock.reached('fault')).toEqual({ atMs: 2000 });
    expect(clock.inFault()).toBe(true);
    const recovery = clock.reached('recovery');
    clock.faultEnded(3000);
    expect(clock.inFault()).toBe(false);
    clock.recovered(3500);
    expect(await recovery).toEqual({ atMs: 3500 });
    expect(clock.snapshot()).toEqual({ startMs: 1000, faultStartMs: 2000, faultEndMs: 3000, recoveryMs: 3500 });
  });

  it('HOSTILE: without faults nothing starts a phase: the waiter is told, not left waiting', async () => {
    expect(await new PhaseClock().reached('recovery')).toEqual({ never: 'the gate has no faults: nothing starts that phase' });
  });

  it('HOSTILE: a service that never came back: the recovery waiter learns why', async () => {
    const clock = new PhaseClock();
    clock.arm();
    clock.faultBegan();
    const waiting = clock.reached('recovery');
    clock.faultEnded();
    clock.never('redis did not come back');
    expect(await waiting).toEqual({ never: 'redis did not come back' });
  });

  it('HOSTILE: asking for the fault phase once it is over is too late; recovery cannot come before a fault', async () => {
    const clock = new PhaseClock();
    clock.arm();
    clock.recovered();
    clock.faultEnded();
    expect(clock.snapshot()).toEqual({ startMs: expect.any(Number) });
    clock.faultBegan();
    clock.faultEnded();
    expect(await clock.reached('fault')).toEqual({ never: 'the fault phase was over before the probe could run' });
  });

  it('a cancelled waiter is released', async () => {
    const clock = new PhaseClock();
    clock.arm();
    const ac = new AbortController();
    const waiting = clock.reached('fault', ac.signal);
    ac.abort();
    expect(await waiting).toEqual({ never: 'cancelled' });
  });
});

/**
 * Time as the store sees it: injected so tests control staleness and durations deterministically.
 * The store reads dates (`now(): Date`); `storeClock` gives it the appliance's one clock
 * (src/clock.ts) in that shape, and `asClock` takes a store clock back to the one clock.
 */
import { systemClock as oneSystemClock, type Clock as OneClock } from '../clock.ts';

export interface Clock {
  now(): Date;
}

/** The one clock as the store reads it. */
export function storeClock(clock: OneClock): Clock {
  return { now: () => clock.date() };
}

export const systemClock: Clock = storeClock(oneSystemClock);

/**
 * The one clock, from either kind: a store clock (which only tells the date) reads its time and
 * keeps real timers and sleeps, as code given a store clock always did.
 */
export function asClock(clock: OneClock | Clock): OneClock {
  if ('date' in clock) return clock;
  return { ...oneSystemClock, now: () => clock.now().getTime(), date: () => clock.now() };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}

/**
 * Time for the chain layer and the validator: the one clock (src/clock.ts), of which they read
 * `now()` in milliseconds and an abortable `sleep`. Tests inject a `ManualClock`.
 */
import type { Clock } from '../clock.ts';

export { systemClock, ManualClock, AbortedError } from '../clock.ts';

/** What the chain layer and the validator use of the one clock. */
export type ChainClock = Pick<Clock, 'now' | 'sleep'>;

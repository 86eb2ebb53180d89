/** The appliance's metrics on virtual time: the steps-per-second window runs on the injected clock. */
import test from 'ava';
import { ManualClock } from '../src/clock.ts';
import { ApplianceMetrics } from '../src/metrics.ts';

test('steps per second count the steps of the last 10 s of the clock, and forget older ones', (t) => {
  const clock = new ManualClock();
  const metrics = new ApplianceMetrics(null, { defaultMetrics: false, clock });
  metrics.recordSteps(30);
  clock.advance(6000);
  metrics.recordSteps(20);
  t.is(metrics.stepsPerSecond(), 5);
  clock.advance(4001);
  t.is(metrics.stepsPerSecond(), 2, 'the first 30 steps left the window');
  clock.advance(6000);
  t.is(metrics.stepsPerSecond(), 0);
});

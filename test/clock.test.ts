/** The one clock (src/clock.ts): ManualClock's virtual timers and sleeps, the system clock, and the store's view of it. */
import test from 'ava';
import { AbortedError, ManualClock, systemClock } from '../src/clock.ts';
import { asClock, storeClock } from '../src/store/clock.ts';

const START = Date.parse('2026-01-01T00:00:00Z');

test('a timer fires on the advance that reaches it, with now() at its due time, and not again', (t) => {
  const clock = new ManualClock(START);
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now() - START), 1000);
  clock.advance(999);
  t.deepEqual(fired, []);
  clock.advance(5000);
  t.deepEqual(fired, [1000]);
  t.is(clock.now() - START, 5999, 'time ends where the advance goes');
  clock.advance(10_000);
  t.deepEqual(fired, [1000]);
  t.is(clock.pendingTimers, 0);
});

test('timers fire in due order, ties in the order they were set; a zero delay waits for the next advance', (t) => {
  const clock = new ManualClock(START);
  const order: string[] = [];
  clock.setTimeout(() => order.push('b@20'), 20);
  clock.setTimeout(() => order.push('a@10'), 10);
  clock.setTimeout(() => order.push('c@20'), 20);
  clock.setTimeout(() => order.push('zero'), 0);
  t.deepEqual(order, []);
  clock.advance(0);
  t.deepEqual(order, ['zero']);
  clock.advance(20);
  t.deepEqual(order, ['zero', 'a@10', 'b@20', 'c@20']);
});

test('an interval fires once per period crossed until cancelled; a cancelled timeout never fires', (t) => {
  const clock = new ManualClock(START);
  const ticks: number[] = [];
  const stop = clock.setInterval(() => ticks.push(clock.now() - START), 60_000);
  let fired = false;
  const cancel = clock.setTimeout(() => (fired = true), 30_000);
  cancel();
  clock.advance(185_000);
  t.deepEqual(ticks, [60_000, 120_000, 180_000]);
  stop();
  stop();
  clock.advance(600_000);
  t.is(ticks.length, 3);
  t.false(fired);
  t.is(clock.pendingTimers, 0);
});

test('a timer set by a firing timer fires within the same advance when it comes due', (t) => {
  const clock = new ManualClock(START);
  const at: number[] = [];
  // Housekeeping that re-arms itself, as the cycle runner's does.
  const tick = () => {
    at.push(clock.now() - START);
    clock.setTimeout(tick, 5000);
  };
  clock.setTimeout(tick, 5000);
  clock.advance(17_000);
  t.deepEqual(at, [5000, 10_000, 15_000]);
});

test('auto-advancing sleeps move time at once and fire the timers they pass', async (t) => {
  const clock = new ManualClock(START);
  let fired = false;
  clock.setTimeout(() => (fired = true), 1000);
  await clock.sleep(1500);
  t.is(clock.now() - START, 1500);
  t.true(fired);
});

test('manual sleeps resolve when time reaches them, and reject once aborted', async (t) => {
  const clock = new ManualClock(START, { autoAdvance: false });
  let woke = false;
  const sleeping = clock.sleep(1000).then(() => (woke = true));
  const abort = new AbortController();
  const aborted = clock.sleep(1000, abort.signal);
  t.is(clock.pendingSleeps, 2);
  t.is(clock.pendingTimers, 0, 'sleeps are not counted as timers');
  abort.abort();
  await t.throwsAsync(aborted, { instanceOf: AbortedError });
  t.is(clock.pendingSleeps, 1);
  clock.advance(999);
  await Promise.resolve();
  t.false(woke);
  clock.advance(1);
  await sleeping;
  t.true(woke);
  t.is(clock.pendingSleeps, 0);
  await t.throwsAsync(clock.sleep(10, abort.signal), { instanceOf: AbortedError }, 'an aborted signal rejects at once');
});

test('the system clock tells the time in both shapes, fires its timers and aborts its sleeps', async (t) => {
  const before = Date.now();
  const now = systemClock.now();
  const date = systemClock.date().getTime();
  t.true(now >= before && date >= now);
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0));
  await new Promise<void>((resolve) => {
    const stop = systemClock.setInterval(() => {
      stop();
      resolve();
    }, 1);
  });
  await systemClock.sleep(0);
  const abort = new AbortController();
  const sleeping = systemClock.sleep(60_000, abort.signal);
  abort.abort();
  await t.throwsAsync(sleeping, { instanceOf: AbortedError });
});

test("the store's view of the one clock reads the same time, and a store clock is read back as the one clock", (t) => {
  const clock = new ManualClock(START);
  const store = storeClock(clock);
  t.is(store.now().toISOString(), '2026-01-01T00:00:00.000Z');
  clock.advance(1500);
  t.is(store.now().getTime(), START + 1500);
  t.is(asClock(clock), clock, 'the one clock passes through');
  const back = asClock(store);
  t.is(back.now(), START + 1500);
  t.is(back.date().getTime(), START + 1500);
  t.is(back.setTimeout, systemClock.setTimeout, 'a store clock keeps real timers');
});

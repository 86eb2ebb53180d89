/** The pure cores of fair scheduling: admission control, declared capacities, the capacity model. */
import test from 'ava';
import { admits, defaultAdmission, demand, nextLagFactor } from '../src/executor/admission.ts';
import { declaredCapacity, MAX_DECLARED_CAPACITY } from '../src/executor/miner-client.ts';
import { estimateCycle, minerEpisodesPerHour, minerSeconds, minersPerBoxHour, type MinerWorkload } from '../src/cycle/capacity.ts';

const settings = defaultAdmission(500, 16);

test('admission: an idle worker takes an episode; a busy one admits by measured demand and turnaround', (t) => {
  const load = (latencies: (number | null)[], cpu: number | null = 1, lagFactor = 1) => ({ cpuPerStepMs: cpu, runningLatenciesMs: latencies, lagFactor });
  t.true(admits(load([]), 0.1, settings), 'an idle worker always takes one');
  // Instant miners: each keeps the CPU busy most of the time, so only about four fit the target load.
  t.true(admits(load([0.5, 0.5, 0.5]), 0.5, settings), `demand ${(4 * demand(1, 0.5)).toFixed(2)} ≤ 3`);
  t.false(admits(load([0.5, 0.5, 0.5, 0.5]), 0.5, settings), `demand ${(5 * demand(1, 0.5)).toFixed(2)} > 3`);
  // Slow miners demand little CPU: many fit, up to the turnaround budget (50 ms at 1 ms per step).
  t.true(admits(load(Array(15).fill(450)), 450, settings));
  t.false(admits(load(Array(16).fill(450)), 450, settings), 'the hard cap per worker');
  t.false(admits(load(Array(10).fill(450), 5), 450, settings), '11 episodes × 5 ms per step > 50 ms turnaround');
  // Unknown latencies count as instant (the safe side), unknown CPU as the default 2 ms.
  t.false(admits(load([null, null, null, null, null, null]), null, settings), '7 × 1/(1 + 1) > 3');
  t.true(admits(load([null], null), 450, settings));
  // A lagging I/O thread shrinks everything.
  t.true(admits(load(Array(8).fill(450)), 450, settings));
  t.false(admits(load(Array(8).fill(450), 1, 0.5), 450, settings), 'cap 16 × 0.5');
});

test('admission: the I/O-lag factor backs off multiplicatively and recovers additively, within bounds', (t) => {
  let f = 1;
  for (let i = 0; i < 20; i++) f = nextLagFactor(f, 100, settings);
  t.is(f, 0.5);
  t.is(nextLagFactor(0.5, 30, settings), 0.5, 'between the thresholds (25 and 50 ms for a 500 ms deadline) nothing changes');
  t.is(nextLagFactor(1, 15, settings), 1, "a saturated CPU's usual delay is no reason to back off");
  f = nextLagFactor(f, 1, settings);
  t.is(Math.round(f * 10) / 10, 0.6);
  for (let i = 0; i < 10; i++) f = nextLagFactor(f, 1, settings);
  t.is(f, 1);
});

test('a declared capacity is a positive integer, capped; anything else declares nothing', (t) => {
  t.is(declaredCapacity({ status: 'healthy', max_concurrent_episodes: 8 }), 8);
  t.is(declaredCapacity({ max_concurrent_episodes: 1e9 }), MAX_DECLARED_CAPACITY);
  for (const bad of [
    {},
    { max_concurrent_episodes: 0 },
    { max_concurrent_episodes: -3 },
    { max_concurrent_episodes: 2.5 },
    { max_concurrent_episodes: '8' },
    null,
    'x',
    [8],
  ]) {
    t.is(declaredCapacity(bad), null, JSON.stringify(bad));
  }
});

const miner = (uid: number, o: Partial<MinerWorkload> = {}): MinerWorkload => ({
  uid,
  remainingEpisodes: 400,
  stepsPerEpisode: 500,
  stepMs: 20,
  concurrency: 1,
  measured: { steps: true, stepMs: true },
  ...o,
});

test('capacity model: a lone miner is bound by its latency and concurrency', (t) => {
  // 400 episodes × 500 steps × 20 ms, one at a time: 4000 s; eight at a time: 500 s.
  t.is(minerSeconds(miner(1)), 4000);
  t.is(minerSeconds(miner(1, { concurrency: 8 })), 500);
  t.is(minerSeconds(miner(1, { remainingEpisodes: 9, concurrency: 8 })), 20, 'a partial last round is a whole round');
  const e = estimateCycle({
    miners: [miner(1), miner(2, { stepMs: 10 })],
    executor: { cores: 2, cpuPerStepMs: 1, slots: 32 },
    elapsedSeconds: 100,
    timeoutSeconds: 3600,
  });
  t.is(e.bottleneck, 'miner');
  t.deepEqual(e.slowestMiner, { uid: 1, seconds: 4000 });
  t.is(e.totalSeconds, 4100);
  t.false(e.fits, '4100 s > the 1 h timeout');
  t.is(e.remainingEpisodes, 800);
});

test("capacity model: many fast miners are bound by the executors' CPU or slots", (t) => {
  const miners = Array.from({ length: 64 }, (_, i) => miner(i, { stepMs: 5, concurrency: 8, remainingEpisodes: 16, stepsPerEpisode: 100 }));
  // CPU: 64 × 16 × 100 steps × 1 ms / 2 cores = 51.2 s; each miner alone: 2 rounds × 100 × 5 ms = 1 s.
  const cpu = estimateCycle({ miners, executor: { cores: 2, cpuPerStepMs: 1, slots: 10_000 }, elapsedSeconds: 0, timeoutSeconds: 3600 });
  t.is(cpu.bottleneck, 'executor-cpu');
  t.is(Math.round(cpu.remainingSeconds * 10) / 10, 51.2);
  t.true(cpu.fits);
  // Slots: 102,400 steps × 5 ms over 4 slots = 128 s.
  const slots = estimateCycle({ miners, executor: { cores: 16, cpuPerStepMs: 1, slots: 4 }, elapsedSeconds: 0, timeoutSeconds: 3600 });
  t.is(slots.bottleneck, 'executor-slots');
  t.is(Math.round(slots.remainingSeconds), 128);
  const none = estimateCycle({ miners: [], executor: { cores: 2, cpuPerStepMs: 1, slots: 32 }, elapsedSeconds: 5, timeoutSeconds: 60 });
  t.like(none, { bottleneck: 'none', remainingSeconds: 0, totalSeconds: 5, fits: true });
});

test('sizing: episodes per hour per miner and miners per box, from the same model', (t) => {
  // 500 steps at 20 ms: 3.6e6 / (500 × 20) = 360 per hour at concurrency 1.
  t.is(minerEpisodesPerHour(500, 20, 1), 360);
  t.is(minerEpisodesPerHour(500, 20, 8), 2880);
  // A box with 2 cores at 1 ms per step: 7.2 M steps per hour; a miner's cycle is 400 × 500 = 200 k steps.
  t.is(minersPerBoxHour(400, 500, 1, 2), 36);
});

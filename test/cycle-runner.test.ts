import test from 'ava';
import { CycleRunner, DEFAULT_CYCLE_SETTINGS, type ChainReader, type CycleSettings } from '../src/cycle/cycle.ts';
import { Scheduler } from '../src/cycle/scheduler.ts';
import { buildTaskSet, taskSeed } from '../src/cycle/task-set.ts';
import { assessCoverage, attributeExecutorFaults } from '../src/cycle/coverage.ts';
import { buildCommitment, buildPublicKeyCommitment } from '../src/chain/commitment.ts';
import type { Store } from '../src/store/index.ts';
import { tempStore, waitFor, type TempStore } from './helpers/store.ts';
import { parseInstance } from '../src/sim/instance.ts';
import { CapacityMonitor, type EstimateReport, type ExecutorMeasures } from '../src/cycle/capacity-monitor.ts';
import { createLogger } from '../src/log.ts';

const ENVS = ['metaworld/reach-v3', 'metaworld/push-v3'];
const HASH = '0x' + 'ab'.repeat(32);

/** A subnet frozen at one block: what the cycle runner reads from any ChainClient. */
function staticChain(miners: { uid: number; hotkey: string; block: number; data?: string }[], block = 500): ChainReader & { block: number } {
  const chain = {
    block,
    async snapshot() {
      return {
        block: chain.block,
        blockHash: HASH as `0x${string}`,
        neurons: miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey })),
        commitments: miners.map((m) => ({
          uid: m.uid,
          hotkey: m.hotkey,
          block: m.block,
          data: m.data ?? buildCommitment({ repo: `team/policy-${m.uid}`, revision: 'abcdef123456', endpoint: `http://127.0.0.1:${9000 + m.uid}` }),
        })),
      };
    },
  };
  return chain;
}

function settings(overrides: Partial<CycleSettings> = {}): CycleSettings {
  // The scripted miners sit on loopback: allowed here as `--allow-private-endpoints` would.
  return { ...DEFAULT_CYCLE_SETTINGS, envIds: ENVS, episodesPerEnv: 3, housekeepingMs: 20, allowPrivateEndpoint: true, ...overrides };
}

/**
 * A scripted executor: claims tasks from the store like the in-process pool does and submits the
 * outcome `decide` returns, until stopped. Scoring and the cycle logic are what is under test here.
 */
function scriptedExecutor(store: Store, decide: (uid: number, envId: string, episode: number) => boolean | 'executor-fault', executorId = 'local-test') {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const { tasks } = store.tasks.fetch({ executorId, batchSize: 5 });
      for (const t of tasks) {
        const outcome = decide(t.minerUid, t.envId, t.episodeIndex);
        if (outcome === 'executor-fault') store.tasks.releaseForRetry(executorId, t.taskUuid, 'worker crashed', 2);
        else
          store.tasks.submit(executorId, [
            {
              taskUuid: t.taskUuid,
              success: outcome,
              score: outcome ? 1 : 0,
              total_reward: outcome ? 10 : 1,
              timesteps: 50,
              error: outcome ? null : 'no success',
            },
          ]);
      }
      await new Promise((r) => setImmediate(r));
    }
  };
  const done = loop();
  return { stop: async () => ((stopped = true), await done) };
}

async function withStore(fn: (ts: TempStore) => Promise<void>) {
  const ts = tempStore();
  try {
    await fn(ts);
  } finally {
    ts.cleanup();
  }
}

test('instances: one layout per (env, episode) shared by every miner, a variant per miner; 256-bit keys from the secret', (t) => {
  const miners = [1, 2, 3].map((uid) => ({ uid, hotkey: `hk${uid}`, endpoint: 'http://x', repo: null, revision: null }));
  const tasks = buildTaskSet({ miners, envIds: ENVS, episodesPerEnv: 4, blockHash: HASH, secret: 's', randomization: 'cued' });
  t.is(tasks.length, 3 * 2 * 4);
  const layoutOf = (instance: string) => Buffer.from(parseInstance(instance).layout).toString('hex');
  for (const env of ENVS) {
    for (let ep = 0; ep < 4; ep++) {
      const mine = tasks.filter((x) => x.envId === env && x.episodeIndex === ep);
      t.is(new Set(mine.map((x) => x.seed)).size, 1, `${env} #${ep}: one wire label`);
      t.is(new Set(mine.map((x) => layoutOf(x.instance))).size, 1, `${env} #${ep}: every miner gets the same scene`);
      t.is(new Set(mine.map((x) => x.instance)).size, 3, `${env} #${ep}: each miner its own variant`);
    }
  }
  t.is(new Set(tasks.map((x) => layoutOf(x.instance))).size, 8, 'distinct layouts across env × episode');
  t.true(tasks.every((x) => parseInstance(x.instance).randomization === 'cued'));
  const other = buildTaskSet({ miners, envIds: ENVS, episodesPerEnv: 1, blockHash: HASH, secret: 'other', randomization: 'cued' });
  t.not(layoutOf(other[0]!.instance), layoutOf(tasks[0]!.instance), 'the layout depends on the secret');
  t.not(taskSeed('s', HASH, ENVS[0]!, 0), taskSeed('other', HASH, ENVS[0]!, 0));
  t.not(taskSeed('s', HASH, ENVS[0]!, 0), taskSeed('s', '0x' + 'cd'.repeat(32), ENVS[0]!, 0));
  t.is(taskSeed('s', HASH, ENVS[0]!, 0), taskSeed('s', HASH.toUpperCase().replace('0X', '0x'), ENVS[0]!, 0));
  t.deepEqual(
    tasks.slice(0, 3).map((x) => x.minerUid),
    [1, 2, 3],
    'interleaved across miners',
  );
});

test('coverage rule', (t) => {
  t.true(assessCoverage({ totalTasks: 100, infraFailedTasks: 10 }, 0.9).ok);
  const bad = assessCoverage({ totalTasks: 100, infraFailedTasks: 11 }, 0.9);
  t.false(bad.ok);
  t.regex(bad.message, /11 of 100 tasks could not be run/);
  t.false(assessCoverage({ totalTasks: 0, infraFailedTasks: 0 }, 0.9).ok);
});

test('executor faults are charged to a miner only when most other miners ran the same instance cleanly', (t) => {
  type Outcome = 'clean' | 'executor-fault' | 'miner-error' | 'not-run';
  const facts = (rows: [number, string, number, Outcome][]) => rows.map(([uid, envId, episodeIndex, outcome]) => ({ uid, envId, episodeIndex, outcome }));
  const charged = (rows: [number, string, number, Outcome][]) => [...attributeExecutorFaults(facts(rows)).charged].sort();
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'clean'],
    ]),
    [0],
    'two miners: the other ran it',
  );
  t.deepEqual(charged([[1, 'e', 0, 'executor-fault']]), [], 'alone: nothing to compare with');
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'executor-fault'],
      [3, 'e', 0, 'clean'],
    ]),
    [],
    'a tie among the others stays infrastructure',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'executor-fault'],
      [3, 'e', 0, 'clean'],
      [4, 'e', 0, 'clean'],
    ]),
    [0, 1],
    'two against two clean others each',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'miner-error'],
      [3, 'e', 1, 'clean'],
    ]),
    [],
    'miner errors and other instances prove nothing',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'clean'],
      [3, 'e', 0, 'miner-error'],
      [4, 'e', 0, 'miner-error'],
      [5, 'e', 0, 'miner-error'],
    ]),
    [],
    'one clean run among four others is no majority: miners whose run errored count among the others',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'clean'],
      [3, 'e', 0, 'clean'],
      [4, 'e', 0, 'clean'],
      [5, 'e', 0, 'miner-error'],
    ]),
    [0],
    'three clean among four others is',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'clean'],
      [3, 'e', 0, 'miner-error'],
    ]),
    [],
    'one of two others is a tie, not a majority',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'clean'],
      [3, 'e', 0, 'not-run'],
      [4, 'e', 0, 'not-run'],
    ]),
    [0],
    'tasks that never ran are not counted',
  );
  t.deepEqual(
    charged([
      [1, 'e', 0, 'executor-fault'],
      [2, 'f', 0, 'clean'],
    ]),
    [],
    'another environment is another instance',
  );
  const result = attributeExecutorFaults(
    facts([
      [1, 'e', 0, 'executor-fault'],
      [2, 'e', 0, 'executor-fault'],
    ]),
  );
  t.is(result.uncharged, 2);
});

test('a whole cycle: discovery, shared tasks, scoring, and weights published in one go', (t) =>
  withStore(async ({ store, clock }) => {
    const chain = staticChain([
      { uid: 0, hotkey: 'operator', block: 10, data: buildPublicKeyCommitment('a'.repeat(64)) },
      { uid: 1, hotkey: 'early', block: 100 },
      { uid: 2, hotkey: 'better', block: 200 },
      { uid: 3, hotkey: 'garbage', block: 50, data: 'not a commitment' },
    ]);
    const runner = new CycleRunner(store, chain, settings(), clock);
    // uid 2 solves everything; uid 1 solves only reach.
    const exec = scriptedExecutor(store, (uid, env) => uid === 2 || env === 'metaworld/reach-v3');
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed');
    const cycle = store.cycles.get(outcome.cycleId!)!;
    t.is(cycle.status, 'completed');
    t.is(cycle.nMiners, 2);
    t.is(cycle.blockNumber, 500);
    const scores = store.results.scoresForCycle(cycle.id);
    t.is(scores.length, 4);
    t.like(
      scores.find((s) => s.uid === 1 && s.envId === 'metaworld/push-v3'),
      { successRate: 0, episodesCompleted: 3, episodesFailed: 3, meanReward: 1, hotkey: 'early' },
    );
    t.like(
      scores.find((s) => s.uid === 2 && s.envId === 'metaworld/push-v3'),
      { successRate: 1, episodesFailed: 0, meanReward: 10 },
    );
    const weights = store.results.latestWeights()!;
    t.is(weights.blockNumber, 500);
    t.deepEqual(weights.weightsU16.uids, [1, 2]);
    t.is(
      weights.weightsU16.values.reduce((a, b) => a + b, 0),
      65535,
    );
    // uid 1 is perfect on reach and committed first, so it keeps {reach} and {reach, push} (3 points);
    // uid 2 beats it only on {push} (1 point).
    const explanation = store.results.explanation(cycle.id)!;
    t.deepEqual(explanation.points, { '1': 3, '2': 1 });
    t.true(weights.weights['1']! > weights.weights['2']!);
    const miners = store.miners.list();
    t.like(
      miners.find((m) => m.uid === 0),
      { status: 'skipped', skipReason: 'operator public-key commitment' },
    );
    t.like(
      miners.find((m) => m.uid === 3),
      { status: 'skipped' },
    );
    t.like(
      miners.find((m) => m.uid === 1),
      { status: 'active', endpoint: 'http://127.0.0.1:9001', commitBlock: 100 },
    );
  }));

test('a cycle with no valid commitments fails without tasks or weights', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(store, staticChain([{ uid: 0, hotkey: 'x', block: 1, data: 'junk' }]), settings(), clock);
    const outcome = await runner.runNew();
    t.deepEqual(outcome, { cycleId: 1, status: 'failed', error: 'No miners with commitments' });
    t.is(store.results.latestWeights(), undefined);
  }));

test('only the miners the appliance trusts may sit on a private address; the rest are skipped and say why', (t) =>
  withStore(async ({ store, clock }) => {
    const demo = buildCommitment({ repo: 'kinitro-demo/vision', revision: 'demo0000', endpoint: 'http://127.0.0.1:9001' });
    const chain = staticChain([
      { uid: 1, hotkey: 'demo', block: 10, data: demo },
      { uid: 2, hotkey: 'stranger', block: 11 },
      { uid: 3, hotkey: 'imposter', block: 12, data: demo },
      { uid: 4, hotkey: 'metadata', block: 13, data: buildCommitment({ repo: 'x/y', revision: 'abc', endpoint: 'http://169.254.169.254/latest/meta-data' }) },
    ]);
    // What `kinitro start --chain local` passes: its own demo miners, by hotkey and URL, and nobody else.
    const runner = new CycleRunner(
      store,
      chain,
      settings({ allowPrivateEndpoint: (hotkey, endpoint) => hotkey === 'demo' && endpoint === 'http://127.0.0.1:9001' }),
      clock,
    );
    const exec = scriptedExecutor(store, () => true);
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed');
    t.deepEqual(
      store.cycles.miners(outcome.cycleId!).map((m) => m.uid),
      [1],
    );
    const listed = Object.fromEntries(store.miners.list().map((m) => [m.hotkey, [m.status, m.skipReason]]));
    t.deepEqual(listed.demo, ['active', null]);
    for (const hotkey of ['stranger', 'imposter'])
      t.regex(String(listed[hotkey]![1]), /^refused endpoint: 127\.0\.0\.1:900\d is a non-public address \(loopback\)/, hotkey);
    t.regex(String(listed.metadata![1]), /169\.254\.169\.254 is a non-public address \(linkLocal\)/);
  }));

test('a cycle whose tasks cannot be stored fails instead of staying running empty', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(store, staticChain([{ uid: 1, hotkey: 'a', block: 1 }]), settings(), clock);
    store.db.exec(`CREATE TRIGGER refuse_tasks BEFORE INSERT ON task_pool BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const outcome = await runner.runNew();
    t.like(outcome, { status: 'failed' });
    t.regex((outcome as { error: string }).error, /Could not create the cycle's tasks: disk says no/);
    t.is(store.cycles.current(), undefined, 'nothing left running');
    t.is(store.cycles.get(outcome.cycleId!)!.status, 'failed');
  }));

test('a cycle times out, cancels its leftovers and publishes nothing', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(store, staticChain([{ uid: 1, hotkey: 'a', block: 1 }]), settings({ cycleTimeoutSeconds: 60 }), clock);
    const running = runner.runNew();
    const cycle = await waitFor(() => store.cycles.current(), { what: 'cycle start' });
    clock.advance(61);
    const outcome = await running;
    t.like(outcome, { status: 'failed', error: 'Cycle timed out waiting for tasks' });
    t.true(store.tasks.isCycleDone(cycle.id));
    t.is(store.tasks.fetch({ executorId: 'late', batchSize: 10 }).tasks.length, 0, 'leftovers are not handed out');
    t.is(store.results.latestWeights(), undefined);
  }));

test('the coverage rule fails a cycle whose executors kept crashing', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(
      store,
      staticChain([
        { uid: 1, hotkey: 'a', block: 1 },
        { uid: 2, hotkey: 'b', block: 2 },
      ]),
      settings(),
      clock,
    );
    // An outage: episodes 0 and 1 crash for every miner, so no miner is to blame.
    const exec = scriptedExecutor(store, (uid, env, ep) => (ep < 2 ? 'executor-fault' : true));
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'failed');
    t.regex((outcome as { error: string }).error, /Insufficient coverage: 8 of 12 tasks/);
    t.is(store.results.latestWeights(), undefined, 'no weights: an outage must not crown the earliest committer');
  }));

test('a miner whose tasks always crash the executor is charged with them and cannot block the weights', (t) =>
  withStore(async ({ store, clock }) => {
    const miners = [
      { uid: 1, hotkey: 'a', block: 1 },
      { uid: 2, hotkey: 'b', block: 2 },
      { uid: 3, hotkey: 'c', block: 3 },
    ];
    const runner = new CycleRunner(store, staticChain(miners), settings(), clock);
    const exec = scriptedExecutor(store, (uid) => (uid === 1 ? 'executor-fault' : true));
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed', 'a third of the tasks faulted, yet the same instances ran for the others');
    const scores = store.results.scoresForCycle(outcome.cycleId!);
    const first = scores.filter((s) => s.uid === 1);
    t.is(first.length, ENVS.length);
    t.true(
      first.every((s) => s.successRate === 0 && s.episodesCompleted === 3 && s.episodesFailed === 3),
      'charged as failed episodes',
    );
    const weights = store.results.latestWeights()!;
    t.is(weights.cycleId, outcome.cycleId!);
    // The earliest committer gets only what softmax leaves a zero-point miner, like uid 3.
    t.is(weights.weights['1'], weights.weights['3']);
    t.true(weights.weights['2']! > 0.9, 'the best honest miner takes the subsets');
  }));

test('a miner cannot drop the episodes it is losing by crashing the executor on them', (t) =>
  withStore(async ({ store, clock }) => {
    const miners = [
      { uid: 1, hotkey: 'a', block: 1 },
      { uid: 2, hotkey: 'b', block: 2 },
    ];
    const runner = new CycleRunner(store, staticChain(miners), settings(), clock);
    const exec = scriptedExecutor(store, (uid, env, ep) => (uid === 1 && ep === 0 ? 'executor-fault' : true));
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed');
    const first = store.results.scoresForCycle(outcome.cycleId!).filter((s) => s.uid === 1);
    t.true(
      first.every((s) => s.episodesCompleted === 3 && Math.abs(s.successRate - 2 / 3) < 1e-12),
      JSON.stringify(first),
    );
  }));

test('a few executor faults are retried and the cycle still completes', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(store, staticChain([{ uid: 1, hotkey: 'a', block: 1 }]), settings(), clock);
    const seen = new Set<string>();
    const exec = scriptedExecutor(store, (uid, env, ep) => {
      const key = `${env}/${ep}`;
      if (ep === 0 && !seen.has(key)) {
        seen.add(key);
        return 'executor-fault';
      }
      return true;
    });
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed');
    const scores = store.results.scoresForCycle(outcome.cycleId!);
    t.true(
      scores.every((s) => s.successRate === 1 && s.episodesCompleted === 3),
      'retried tasks count once, as successes',
    );
  }));

test('after a crash the interrupted cycle resumes: nothing lost, nothing counted twice', (t) =>
  withStore(async ({ store, clock }) => {
    const chain = staticChain([
      { uid: 1, hotkey: 'a', block: 1 },
      { uid: 2, hotkey: 'b', block: 2 },
    ]);
    const first = new CycleRunner(store, chain, settings(), clock);
    const crash = new AbortController();
    const running = first.runNew(crash.signal);
    const cycle = await waitFor(() => store.cycles.current(), { what: 'cycle start' });
    // Some results land, some tasks are mid-flight in the "old process" when it dies.
    const claimed = store.tasks.fetch({ executorId: 'local-w0', batchSize: 6 }).tasks;
    store.tasks.submit(
      'local-w0',
      claimed.slice(0, 4).map((x) => ({ taskUuid: x.taskUuid, success: true, score: 1, total_reward: 1, timesteps: 5, error: null })),
    );
    crash.abort();
    t.like(await running, { status: 'interrupted' });
    t.is(store.cycles.get(cycle.id)!.status, 'running', 'not cancelled');

    // Restart: the appliance reclaims its own executors' leases, the scheduler resumes the cycle.
    t.is(store.tasks.reclaimAssignedTo('local-'), 2);
    const scheduler = new Scheduler(store, new CycleRunner(store, chain, settings(), clock), '0 * * * *');
    const exec = scriptedExecutor(store, () => true, 'local-w1');
    const outcome = await scheduler.trigger('test');
    await exec.stop();
    await scheduler.stop();
    t.like(outcome, { cycleId: cycle.id + 1, status: 'completed' }, 'after resuming, the scheduler runs the next cycle');
    const resumed = store.cycles.get(cycle.id)!;
    t.is(resumed.status, 'completed');
    const tasks = store.tasks.listForCycle(cycle.id, { limit: 100, offset: 0 }).tasks;
    t.is(tasks.length, 12);
    t.true(tasks.every((x) => x.status === 'completed'));
    t.is(tasks.filter((x) => x.assignedTo === 'local-w0').length, 4, 'the 4 results from before the crash are kept, not re-run');
    const scores = store.results.scoresForCycle(cycle.id);
    t.is(
      scores.reduce((a, s) => a + s.episodesCompleted, 0),
      12,
      'every task counted exactly once',
    );
  }));

test('the scheduler skips ticks while a cycle runs and reports its status', (t) =>
  withStore(async ({ store, clock }) => {
    const runner = new CycleRunner(store, staticChain([{ uid: 1, hotkey: 'a', block: 1 }]), settings(), clock);
    const scheduler = new Scheduler(store, runner, '*/5 * * * *');
    const first = scheduler.trigger('a');
    await waitFor(() => store.cycles.current());
    t.is(await scheduler.trigger('b'), null, 'overlapping tick skipped');
    t.true(scheduler.status().running);
    const exec = scriptedExecutor(store, () => false);
    t.like(await first, { status: 'completed' });
    await exec.stop();
    t.false(scheduler.status().running);
    t.is(store.cycles.count(), 1);
    t.throws(() => new Scheduler(store, runner, 'not cron'), { message: /invalid cron expression/ });
    await scheduler.stop();
  }));

test('the capacity model estimates a cycle at its start and while it runs, and warns (log + listener) when it cannot finish in time', (t) =>
  withStore(async ({ store, clock }) => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const estimates: EstimateReport[] = [];
    // Measured: miner 1 answers in 1 s per step, one episode at a time; miner 2 is fast and runs 4 at once.
    const measures: ExecutorMeasures = {
      cores: 2,
      cpuPerStepMs: 1,
      slots: 32,
      miner: (endpoint) => (endpoint.endsWith(':9001') ? { latencyMs: 999, stepMs: 1000, concurrency: 1 } : { latencyMs: 4, stepMs: 5, concurrency: 4 }),
    };
    const runner = new CycleRunner(
      store,
      staticChain([
        { uid: 1, hotkey: 'a', block: 1 },
        { uid: 2, hotkey: 'b', block: 2 },
      ]),
      settings({ cycleTimeoutSeconds: 600, estimateIntervalMs: 0 }),
      clock,
      logger,
      { capacity: new CapacityMonitor(store, () => measures, { maxSteps: 100 }), onEstimate: (r) => void estimates.push(r) },
    );
    const running = runner.runNew();
    await waitFor(() => estimates.length > 0, { what: 'the start estimate' });
    // Miner 1: 6 episodes × 100 steps (none finished yet: the maximum) × 1 s = 600 s, the whole timeout.
    const start = estimates[0]!;
    t.like(start.json, { phase: 'start', bottleneck: 'miner', slowest_miner_uid: 1, remaining_episodes: 12, timeout_seconds: 600, fits: true });
    t.is(start.estimate.totalSeconds, 600);
    // A minute later nothing has finished: 60 s elapsed + 600 s remaining > 600 s.
    clock.advance(60);
    await waitFor(() => estimates.some((e) => e.json.phase === 'running' && e.json.fits === false), { what: 'an overrun estimate' });
    t.true(
      lines.some((l) => l.includes('the cycle is estimated not to finish before its timeout')),
      'a warning is logged',
    );
    t.like(runner.lastEstimate()?.json, { cycle_id: store.cycles.current()!.id, fits: false });
    const executor = scriptedExecutor(store, () => true);
    const outcome = await running;
    await executor.stop();
    t.is(outcome.status, 'completed');
    t.is(runner.lastEstimate(), null, 'no estimate once no cycle runs');
  }));

test('spot checks run after the last task and before the weights; a zero-weight mismatch leaves the miner out of the cycle', (t) =>
  withStore(async ({ store, clock }) => {
    const chain = staticChain([
      { uid: 1, hotkey: 'early', block: 100 },
      { uid: 2, hotkey: 'better', block: 200 },
    ]);
    const checked: { cycleId: number; done: boolean }[] = [];
    const spotCheck = {
      async checkCycle(cycleId: number) {
        // Called once every task has finished, before anything is published.
        checked.push({ cycleId, done: store.tasks.isCycleDone(cycleId) && store.results.latestWeights() === undefined });
        store.spotChecks.save({
          cycleId,
          minerUid: 1,
          hotkey: 'early',
          repo: 'team/policy-1',
          revision: 'abcdef12',
          resolvedRevision: null,
          outcome: 'mismatch',
          reason: 'differs',
          stepsCompared: 8,
          maxDifference: 1,
        });
      },
      penalized: (cycleId: number) =>
        new Set(
          store.spotChecks
            .forCycle(cycleId)
            .filter((c) => c.outcome === 'mismatch')
            .map((c) => c.minerUid),
        ),
    };
    const runner = new CycleRunner(store, chain, settings(), clock, undefined, { spotCheck });
    const exec = scriptedExecutor(store, (uid, env) => uid === 2 || env === 'metaworld/reach-v3');
    const outcome = await runner.runNew();
    await exec.stop();
    t.is(outcome.status, 'completed');
    t.deepEqual(checked, [{ cycleId: outcome.cycleId!, done: true }]);
    const weights = store.results.latestWeights()!;
    t.deepEqual(weights.weightsU16.uids, [2], 'the mismatched miner has no weight this cycle');
    t.is(store.results.scoresForCycle(outcome.cycleId!).filter((s) => s.uid === 1).length, 2, 'its scores are still stored');

    // A failing spot check (our side) does not stop the cycle.
    const broken = new CycleRunner(store, chain, settings(), clock, undefined, {
      spotCheck: { checkCycle: () => Promise.reject(new Error('disk full')), penalized: () => new Set() },
    });
    const exec2 = scriptedExecutor(store, () => true, 'local-test2');
    clock.advance(3600);
    chain.block = 600;
    const second = await broken.runNew();
    await exec2.stop();
    t.is(second.status, 'completed');
    t.deepEqual(store.results.latestWeights()!.weightsU16.uids.length, 2);
  }));

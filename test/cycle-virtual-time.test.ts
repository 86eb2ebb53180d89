/**
 * The cycle runner on virtual time: its housekeeping timer, stale-lease reclaim and cycle timeout run
 * on a ManualClock shared with the store, so a cycle of the production periods (5 s housekeeping,
 * 900 s leases, a 20 min timeout) is driven in a few `advance` calls without real waiting.
 */
import path from 'node:path';
import fs from 'node:fs';
import test from 'ava';
import { ManualClock } from '../src/clock.ts';
import { Store } from '../src/store/index.ts';
import { storeClock } from '../src/store/clock.ts';
import { CycleRunner, DEFAULT_CYCLE_SETTINGS, type ChainReader } from '../src/cycle/cycle.ts';
import { buildCommitment } from '../src/chain/commitment.ts';
import { tempDir, waitFor } from './helpers/store.ts';

/** One miner with a commitment, at one block. */
const oneMiner: ChainReader = {
  snapshot: () =>
    Promise.resolve({
      block: 500,
      blockHash: `0x${'ab'.repeat(32)}`,
      neurons: [{ uid: 1, hotkey: 'a' }],
      commitments: [
        { uid: 1, hotkey: 'a', block: 1, data: buildCommitment({ repo: 'team/policy', revision: 'abcdef123456', endpoint: 'http://127.0.0.1:9001' }) },
      ],
    }),
};

test('a cycle reclaims a stale lease and then times out on virtual time, at the production periods', async (t) => {
  const dir = tempDir();
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), { autoAdvance: false });
  const store = Store.open(path.join(dir, 'kinitro.sqlite'), { clock: storeClock(clock) });
  try {
    const runner = new CycleRunner(
      store,
      oneMiner,
      { ...DEFAULT_CYCLE_SETTINGS, envIds: ['metaworld/reach-v3'], episodesPerEnv: 1, cycleTimeoutSeconds: 1200, allowPrivateEndpoint: true },
      clock,
    );
    t.is(DEFAULT_CYCLE_SETTINGS.housekeepingMs, 5000);
    t.is(DEFAULT_CYCLE_SETTINGS.staleTaskSeconds, 900);
    const running = runner.runNew();
    // The runner is waiting once its housekeeping timer is armed.
    await waitFor(() => clock.pendingTimers > 0, { what: 'the housekeeping timer' });
    const cycle = store.cycles.current()!;
    const [task] = store.tasks.fetch({ executorId: 'gone', batchSize: 1 }).tasks;
    t.truthy(task);

    // The executor never reports: its lease is stale after 900 s, and the next housekeeping tick takes it back.
    clock.advance(900_000);
    t.is(store.tasks.listForCycle(cycle.id, { limit: 1, offset: 0 }).tasks[0]!.status, 'assigned', 'not stale yet');
    clock.advance(5000);
    const reclaimed = store.tasks.listForCycle(cycle.id, { limit: 1, offset: 0 }).tasks[0]!;
    t.like(reclaimed, { status: 'pending', attempts: 1 });

    // Nothing runs it again: one tick before the 20 min deadline the cycle still runs, at the deadline it times out.
    clock.advance(1_200_000 - 905_000 - 5000);
    t.is(store.cycles.current()?.id, cycle.id);
    clock.advance(5000);
    const outcome = await running;
    t.like(outcome, { cycleId: cycle.id, status: 'failed', error: 'Cycle timed out waiting for tasks' });
    t.is(clock.pendingTimers, 0, 'the housekeeping timer is cancelled with the wait');
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The miner side of cued drawer-open / drawer-close: the `vision` skill solves instances from the two
 * camera images, and the blind adversaries show the design's property — a policy that cannot see
 * works whichever drawer touch finds, and the first drawer it moves decides the episode.
 */
import test from 'ava';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy } from '../src/miner/policies/index.ts';
import { DRAWER, type DrawerState } from '../src/sim/cued/drawer.ts';
import type { CuedTaskConfig } from '../src/sim/cued/tasks.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { runEpisode } from '../src/sim/episode.ts';
import { devInstance } from '../src/sim/instance.ts';
import { generateTask } from '../src/sim/tasks.ts';

const OPEN = 'metaworld/drawer-open-v3' as const;
const CLOSE = 'metaworld/drawer-close-v3' as const;

test('vision opens and closes the cued drawer from pixels, never a wrong one', async (t) => {
  const result = await evaluateMinerPolicy({ policy: createMinerPolicy('vision'), envIds: [OPEN, CLOSE], episodes: 3, seed: 41 });
  for (const e of result.episodes) {
    t.true(e.success, `${e.envId} #${e.index}: ${e.violation ?? 'no success'} after ${e.steps} steps`);
    t.is(e.violation, null);
  }
});

for (const [envId, strategy] of [
  [OPEN, 'drawer-open-probe-hook'],
  [CLOSE, 'drawer-close-fixed-push'],
] as const) {
  test(`${strategy}: the first drawer the blind attack moves decides the episode`, async (t) => {
    const env = await ManipulationEnv.create(envId, { images: false });
    const policy = new BlindPolicy(strategy);
    let decided = 0;
    try {
      for (let i = 0; i < 6; i++) {
        const task = generateTask(envId, devInstance(77, i)) as CuedTaskConfig;
        const result = await runEpisode(env, policy, task, i);
        const { opening } = env.privileged().cued!.state as DrawerState;
        const start = (task.layout as { start: number }).start;
        const moved = opening.map((q, k) => (Math.abs(q - start) > DRAWER.wrongMove ? k : -1)).filter((k) => k >= 0);
        if (result.success) {
          t.deepEqual(moved, [task.target], `episode ${i}: success moved only the target`);
          decided++;
        } else if (result.violation !== null) {
          t.false(moved.includes(task.target) && moved.length === 1, `episode ${i}: a violation means a wrong drawer moved`);
          decided++;
        } else {
          t.deepEqual(moved, [], `episode ${i}: no outcome, no drawer moved`);
        }
      }
    } finally {
      env.close();
    }
    // The attack does work a drawer (it is not a strawman): most episodes end one way or the other.
    t.true(decided >= 4, `${decided} of 6 episodes decided`);
  });
}

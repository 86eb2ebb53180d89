import test from 'ava';
import { ManipulationEnv } from '../src/sim/env.ts';
import { episodeInstance, episodePolicySeed, runEpisode, type InstancePlan } from '../src/sim/episode.ts';
import { RANDOMIZATIONS } from '../src/sim/instance.ts';
import { loadMujoco } from '../src/sim/mujoco.ts';
import { OraclePolicy, RandomPolicy } from '../src/sim/policies.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import { generateTask } from '../src/sim/tasks.ts';

const EPISODES = 4;

for (const randomization of RANDOMIZATIONS) {
  for (const envId of ENV_IDS) {
    test(`${randomization}: oracle solves ${envId}; random does not`, async (t) => {
      const mj = await loadMujoco();
      const env = new ManipulationEnv(mj, envId, { randomization, images: false });
      const plan: InstancePlan = { randomization, seed: 2024 };
      try {
        const oracle = new OraclePolicy();
        const random = new RandomPolicy();
        let oracleSuccesses = 0;
        let randomSuccesses = 0;
        for (let i = 0; i < EPISODES; i++) {
          const task = generateTask(envId, episodeInstance(plan, i));
          const solved = await runEpisode(env, oracle, task, 0);
          if (solved.success) {
            oracleSuccesses++;
            t.is(solved.successStep, solved.steps, 'the episode ends at its first success');
          }
          t.is(solved.violation, null, 'the oracle never touches a wrong candidate');
          const flailed = await runEpisode(env, random, task, episodePolicySeed(plan, i, envId));
          if (flailed.success) randomSuccesses++;
        }
        // Like MetaWorld's scripted policies, the oracles are not perfect (push drops the puck ~1 % of the
        // time); the acceptance runs (docs/benchmarks.md) check rates over hundreds of episodes.
        t.true(oracleSuccesses >= EPISODES - 1, `oracle succeeded ${oracleSuccesses}/${EPISODES}`);
        t.true(randomSuccesses <= 1, `random succeeded ${randomSuccesses}/${EPISODES}`);
      } finally {
        env.close();
      }
    });
  }
}

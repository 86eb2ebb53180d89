import test from 'ava';
import { ManipulationEnv } from '../src/sim/env.ts';
import { episodePolicySeed, episodeTaskSeed, runEpisode } from '../src/sim/episode.ts';
import { loadMujoco } from '../src/sim/mujoco.ts';
import { OraclePolicy, RandomPolicy } from '../src/sim/policies.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import { generateTask } from '../src/sim/tasks.ts';

const EPISODES = 4;

for (const envId of ENV_IDS) {
  test(`oracle solves ${envId}; random does not`, async (t) => {
    const mj = await loadMujoco();
    const env = new ManipulationEnv(mj, envId, { images: false });
    try {
      const oracle = new OraclePolicy();
      const random = new RandomPolicy();
      let oracleSuccesses = 0;
      let randomSuccesses = 0;
      for (let i = 0; i < EPISODES; i++) {
        const task = generateTask(envId, episodeTaskSeed(2024, i));
        const solved = await runEpisode(env, oracle, task, 0);
        if (solved.success) {
          oracleSuccesses++;
          t.is(solved.successStep, solved.steps, 'the episode ends at its first success');
        }
        const flailed = await runEpisode(env, random, task, episodePolicySeed(2024, i, envId));
        if (flailed.success) randomSuccesses++;
      }
      // Like MetaWorld's scripted policies, the oracles are not perfect (push drops the puck ~1 % of the
      // time); the CLI acceptance run checks rates over more episodes.
      t.true(oracleSuccesses >= EPISODES - 1, `oracle succeeded ${oracleSuccesses}/${EPISODES}`);
      t.true(randomSuccesses <= 1, `random succeeded ${randomSuccesses}/${EPISODES}`);
    } finally {
      env.close();
    }
  });
}

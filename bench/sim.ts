/**
 * Simulator throughput, one core, physics only (no images): control steps per second for each task
 * while the oracle drives it (so contacts are realistic), the cost of a reset, and the memory of one
 * environment instance (MjData arena + buffer, model size).
 *
 *   npm run bench -- sim [--steps 3000] [--env metaworld/push-v3]
 */
import { parseArgs } from 'node:util';
import { ManipulationEnv } from '../src/sim/env.ts';
import { loadMujoco, wasmHeapBytes } from '../src/sim/mujoco.ts';
import { OraclePolicy } from '../src/sim/policies.ts';
import { resolveEnvSelection } from '../src/sim/registry.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { devInstance } from '../src/sim/instance.ts';

/** CPU time of this process in milliseconds (user + system); the benchmark is single-threaded. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export default async function (args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { steps: { type: 'string', default: '3000' }, env: { type: 'string', default: 'all' } } });
  const targetSteps = Number(values.steps);
  if (!Number.isInteger(targetSteps) || targetSteps < 500) throw new Error('--steps must be an integer ≥ 500');
  const t0 = performance.now();
  const mj = await loadMujoco();
  process.stdout.write(
    `MuJoCo ${mj.mj_versionString()} loaded in ${(performance.now() - t0).toFixed(0)} ms; ${targetSteps} measured control steps per task (5 substeps each)\n\n`,
  );
  process.stdout.write(
    `${'environment'.padEnd(28)} ${'step/s'.padStart(8)} ${'loop/s'.padStart(8)} ${'wall/s'.padStart(8)} ${'reset ms'.padStart(9)} ${'narena'.padStart(8)} ${'nbuffer'.padStart(8)} ${'model B'.padStart(8)} ${'arena peak'.padStart(10)}\n`,
  );
  const rates: number[] = [];
  for (const envId of resolveEnvSelection(values.env!)) {
    const env = new ManipulationEnv(mj, envId, { images: false, endOnSuccess: false });
    const policy = new OraclePolicy();
    const runEpisode = (seed: number, timing: { step: number; reset: number; steps: number }) => {
      policy.reset({ task: { env_id: envId, env_name: '', task_name: '' }, episodeSeed: seed });
      const task = generateTask(envId, devInstance(seed, 0));
      let t = cpuMs();
      let observation = env.reset(task);
      timing.reset += cpuMs() - t;
      for (;;) {
        const action = policy.act(observation, env.privileged());
        t = cpuMs();
        const result = env.step(action);
        timing.step += cpuMs() - t;
        timing.steps++;
        observation = result.observation;
        if (result.done) return;
      }
    };
    runEpisode(1_000_000, { step: 0, reset: 0, steps: 0 }); // warm-up (JIT)
    const timing = { step: 0, reset: 0, steps: 0 };
    const wallStart = performance.now();
    const cpuStart = cpuMs();
    let episodes = 0;
    while (timing.steps < targetSteps) runEpisode(episodes++, timing);
    const loopCpuSeconds = (cpuMs() - cpuStart) / 1000;
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const stepRate = timing.steps / (timing.step / 1000);
    rates.push(stepRate);
    const d = env.data;
    process.stdout.write(
      `${envId.padEnd(28)} ${stepRate.toFixed(0).padStart(8)} ${(timing.steps / loopCpuSeconds).toFixed(0).padStart(8)} ${(timing.steps / wallSeconds).toFixed(0).padStart(8)} ${(timing.reset / episodes).toFixed(2).padStart(9)} ` +
        `${String(d.narena).padStart(8)} ${String(d.nbuffer).padStart(8)} ${String(mj.mj_sizeModel(env.model)).padStart(8)} ${String(d.maxuse_arena).padStart(10)}\n`,
    );
    env.close();
  }
  const probe = new ManipulationEnv(mj, 'metaworld/reach-v3', { images: false });
  process.stdout.write(
    `\nRates are per CPU-second of this thread (process.cpuUsage), so other load on the machine matters less;\n` +
      `step/s: env.step() only (mocap, 5 substeps, arm, kinematics, reward, observation); loop/s: with resets and the oracle;\n` +
      `wall/s: the same loop by the wall clock. Episodes run the full 500 steps (the oracle keeps acting after success).\n` +
      `min step/s ${Math.min(...rates).toFixed(0)} (target ≥ 2500). wasm heap now ${(wasmHeapBytes(probe.model) / 2 ** 20).toFixed(1)} MiB.\n`,
  );
  probe.close();
}

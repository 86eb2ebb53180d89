import fs from 'node:fs';
import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { ManipulationEnv } from '../../sim/env.ts';
import { createInProcessPolicy, type Policy } from '../../sim/policies.ts';
import { decodeImage, type Action } from '../../sim/protocol.ts';
import { isEnvId, splitEnvId } from '../../sim/registry.ts';
import { CameraRenderer, DEFAULT_CAMERAS, writePng, type RenderBackend } from '../../sim/render/index.ts';
import { generateTask } from '../../sim/tasks.ts';
import { DEFAULT_RANDOMIZATION, devInstance, RANDOMIZATIONS, type Randomization } from '../../sim/instance.ts';

const POLICIES = ['random', 'zero', 'oracle'] as const;
type PolicyChoice = (typeof POLICIES)[number];
const BACKENDS: readonly RenderBackend[] = ['auto', 'ts', 'gpu'];

const zeroPolicy: Policy = {
  name: 'zero',
  needsPrivileged: false,
  reset() {},
  act(): Action {
    return { continuous: { ee_twist: [0, 0, 0, 0, 0, 0], gripper: [0] }, discrete: {}, extra: {} };
  },
};

export const renderCommand = defineCommand({
  path: ['render'],
  summary: 'Render what miners see: one PNG per camera of a task after N control steps.',
  description:
    'Builds the development instance of --seed for --env (the same one `kinitro eval --seed S` runs as episode 0; domain ' +
    'randomization included), optionally steps it with a policy, and writes each camera image exactly as miners receive ' +
    "it (the original's orientation: MuJoCo's image flipped vertically) as <task>-s<seed>-t<steps>-<camera>.png in " +
    '--out. Prints the files and, with --json, the published camera intrinsics and extrinsics.',
  options: {
    env: opt.string('Environment id (see `kinitro list-envs`)', { required: true, env: false, placeholder: 'ID' }),
    seed: opt.int('Development instance seed', { default: 0, min: 0, env: false }),
    randomization: opt.choice<Randomization>(RANDOMIZATIONS, 'Instance family: cued (vision-necessary) or metaworld', {
      default: DEFAULT_RANDOMIZATION,
      env: false,
    }),
    out: opt.string('Output directory (created if missing)', { required: true, env: false, placeholder: 'DIR' }),
    size: opt.int('Image width and height in pixels', { default: 84, min: 8, max: 2048, env: false }),
    steps: opt.int('Control steps to run before rendering', { default: 0, min: 0, max: 100_000, env: false }),
    policy: opt.choice<PolicyChoice>(POLICIES, 'Actions for --steps: seeded random, zero, or the scripted oracle', { default: 'random', env: false }),
    cameras: opt.string('Comma-separated camera names', { default: DEFAULT_CAMERAS.join(','), env: false }),
    backend: opt.choice<RenderBackend>(BACKENDS, 'Renderer backend', { default: 'auto', env: false }),
    json: opt.flag('Print JSON (files and camera matrices)', { env: false }),
  },
  async run({ options, stdout }) {
    if (!isEnvId(options.env)) throw new CliUsageError(`--env: unknown environment ${JSON.stringify(options.env)} (see \`kinitro list-envs\`)`);
    if (!Number.isSafeInteger(options.seed)) throw new CliUsageError(`--seed must be a safe integer, got ${options.seed}`);
    const cameras = options.cameras
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (cameras.length === 0) throw new CliUsageError('--cameras: give at least one camera name');
    const envId = options.env;

    const env = await ManipulationEnv.create(envId, {
      randomization: options.randomization,
      images: false,
      endOnSuccess: false,
      maxSteps: Math.max(options.steps, 1),
    });
    let renderer: CameraRenderer | undefined;
    try {
      renderer = new CameraRenderer({ width: options.size, height: options.size, cameras, backend: options.backend });
      const task = generateTask(envId, devInstance(options.seed, 0, options.randomization));
      let observation = env.reset(task);
      const policy = options.policy === 'zero' ? zeroPolicy : createInProcessPolicy(options.policy);
      const { envName, taskName } = splitEnvId(envId);
      await policy.reset({ task: { env_id: envId, env_name: envName, task_name: taskName }, episodeSeed: options.seed });
      let stepped = 0;
      for (; stepped < options.steps && !env.done; stepped++) {
        const action = await policy.act(observation, policy.needsPrivileged ? env.privileged() : undefined);
        observation = env.step(action).observation;
      }

      let views;
      try {
        views = renderer.observe([env])[0]!;
      } catch (err) {
        throw new CliUsageError((err as Error).message); // e.g. a camera name the scene lacks
      }
      fs.mkdirSync(options.out, { recursive: true });
      const files: string[] = [];
      for (const camera of cameras) {
        const file = path.join(options.out, `${taskName || envName}-s${options.seed}-t${stepped}-${camera}.png`);
        // decode the wire image itself: the PNG shows exactly the bytes a miner receives
        writePng(file, decodeImage(views.rgb[camera]!), options.size, options.size);
        files.push(file);
      }
      if (options.json) {
        stdout.write(
          JSON.stringify({
            env_id: envId,
            seed: options.seed,
            steps: stepped,
            backend: renderer.backend,
            files,
            cam_intrinsics: views.cam_intrinsics,
            cam_extrinsics: views.cam_extrinsics,
          }) + '\n',
        );
      } else {
        for (const file of files) stdout.write(`${file}\n`);
      }
    } finally {
      renderer?.destroy();
      env.close();
    }
  },
});

/**
 * `kinitro dataset record`: runs a reference policy in-process on the evaluation environments and
 * writes what it saw and did as a LeRobot dataset (lerobot.ts). Frame t holds the observation the
 * policy acted on — exactly what a miner receives: both camera images, the proprio vector, the
 * camera calibration — and the action it took; `next.*` hold the step's reward, end and success.
 *
 * Actions are stored as float32, and the environment is stepped with those float32 values, so
 * replaying a dataset's actions on its episode's instance reproduces its frames bit for bit
 * (meta/kinitro.json lists each episode's env and instance key).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ManipulationEnv } from '../sim/env.ts';
import { episodeInstance, episodePolicySeed, type InstancePlan } from '../sim/episode.ts';
import { rendererImageHook } from '../sim/evaluation.ts';
import { DEFAULT_RANDOMIZATION, type Randomization } from '../sim/instance.ts';
import { loadMujoco } from '../sim/mujoco.ts';
import type { Policy } from '../sim/policies.ts';
import { decodeImage, type Action, type Observation } from '../sim/protocol.ts';
import { describeEnvironment, type EnvId } from '../sim/registry.ts';
import { CameraRenderer, DEFAULT_CAMERAS, DEFAULT_IMAGE_SIZE } from '../sim/render/index.ts';
import { generateTask } from '../sim/tasks.ts';
import { LeRobotWriter, type DatasetInfoJson, type FeatureSpec } from './lerobot.ts';
import { ACTION_NAMES, ACTION_SIZE, CONTROL_FPS, PROPRIO_LAYOUT, PROPRIO_NAMES, PROPRIO_SIZE } from './vec-env.ts';

export const ROBOT_TYPE = 'kinitro_mocap_gripper';

export interface RecordOptions {
  out: string;
  envIds: readonly EnvId[];
  /** Episodes run per environment. */
  episodes: number;
  policyName: string;
  policyFor(envId: EnvId): Policy;
  /** Development instances from this seed (episode i: (seed, i), like `kinitro eval --seed`); fresh secret instances when undefined. */
  seed?: number;
  randomization?: Randomization;
  maxSteps?: number;
  /** Keep only successful episodes. */
  successOnly?: boolean;
  dataFilesSizeInMb?: number;
  onEpisode?(envId: EnvId, index: number, outcome: { success: boolean; steps: number; kept: boolean; error?: string }): void;
}

export interface RecordedEpisode {
  episode_index: number;
  env_id: EnvId;
  instance: string;
  success: boolean;
  violation: string | null;
  steps: number;
}

export interface RecordResult {
  info: DatasetInfoJson;
  episodes: RecordedEpisode[];
  attempted: number;
}

const calibrationNames = (size: number) => Array.from({ length: size * size }, (_, i) => `m${Math.floor(i / size)}${i % size}`);

/** The dataset's features: the observation a miner gets, the action, and the step's outcome. */
export function recordingFeatures(cameras: readonly string[] = DEFAULT_CAMERAS, imageSize = DEFAULT_IMAGE_SIZE): Record<string, FeatureSpec> {
  const features: Record<string, FeatureSpec> = {};
  for (const cam of cameras)
    features[`observation.images.${cam}`] = { dtype: 'image', shape: [imageSize, imageSize, 3], names: ['height', 'width', 'channels'] };
  features['observation.state'] = { dtype: 'float32', shape: [PROPRIO_SIZE], names: PROPRIO_NAMES };
  for (const cam of cameras) {
    features[`observation.cam_intrinsics.${cam}`] = { dtype: 'float32', shape: [9], names: calibrationNames(3) };
    features[`observation.cam_extrinsics.${cam}`] = { dtype: 'float32', shape: [16], names: calibrationNames(4) };
  }
  features.action = { dtype: 'float32', shape: [ACTION_SIZE], names: ACTION_NAMES };
  features['next.reward'] = { dtype: 'float32', shape: [1], names: null };
  features['next.done'] = { dtype: 'bool', shape: [1], names: null };
  features['next.success'] = { dtype: 'bool', shape: [1], names: null };
  return features;
}

/** The policy's action as the 7 float32 values the dataset stores (ee_twist padded to 6, then gripper). */
export function actionVector(action: Action): Float32Array {
  const twist = action.continuous.ee_twist ?? [];
  const gripper = action.continuous.gripper ?? [];
  return Float32Array.from([0, 1, 2, 3, 4, 5].map((i) => twist[i] ?? 0).concat([gripper[0] ?? 0]));
}

/** The wire action the environment is stepped with: exactly the stored float32 values. */
export function actionFromVector(v: ArrayLike<number>): Action {
  return { continuous: { ee_twist: Array.from({ length: 6 }, (_, i) => v[i]!), gripper: [v[6]!] }, discrete: {}, extra: {} };
}

export function stateVector(observation: Observation): number[] {
  return PROPRIO_LAYOUT.flatMap(([name, width]) => Array.from({ length: width }, (_, i) => observation.proprio[name]?.[i] ?? 0));
}

export function taskText(envId: EnvId): string {
  return `${envId}: ${describeEnvironment(envId).description}`;
}

export async function recordDataset(options: RecordOptions): Promise<RecordResult> {
  const randomization = options.randomization ?? DEFAULT_RANDOMIZATION;
  const plan: InstancePlan = { randomization, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  const cameras = DEFAULT_CAMERAS;
  const writer = new LeRobotWriter(options.out, {
    fps: CONTROL_FPS,
    robotType: ROBOT_TYPE,
    features: recordingFeatures(cameras),
    ...(options.dataFilesSizeInMb !== undefined ? { dataFilesSizeInMb: options.dataFilesSizeInMb } : {}),
  });
  const mujoco = await loadMujoco();
  const renderer = new CameraRenderer({ cameras });
  const recorded: RecordedEpisode[] = [];
  let attempted = 0;
  try {
    for (const envId of options.envIds) {
      const policy = options.policyFor(envId);
      const env = new ManipulationEnv(mujoco, envId, {
        randomization,
        maxSteps: options.maxSteps ?? 500,
        endOnSuccess: true,
        imageHook: rendererImageHook(renderer),
      });
      const { envName, taskName } = describeEnvironment(envId);
      try {
        for (let i = 0; i < options.episodes; i++) {
          attempted++;
          const instance = episodeInstance(plan, i);
          try {
            await policy.reset({ task: { env_id: envId, env_name: envName, task_name: taskName }, episodeSeed: episodePolicySeed(plan, i, envId) });
            let observation = env.reset(generateTask(envId, instance));
            const frames = {
              images: Object.fromEntries(cameras.map((c) => [c, [] as Uint8Array[]])),
              state: [] as number[],
              action: [] as number[],
              reward: [] as number[],
              done: [] as boolean[],
              success: [] as boolean[],
              calibration: Object.fromEntries(
                cameras.flatMap((c) => [
                  [`observation.cam_intrinsics.${c}`, [] as number[]],
                  [`observation.cam_extrinsics.${c}`, [] as number[]],
                ]),
              ),
            };
            let violation: string | null = null;
            let success = false;
            for (;;) {
              for (const c of cameras) {
                frames.images[c]!.push(new Uint8Array(decodeImage(observation.rgb[c]!)));
                frames.calibration[`observation.cam_intrinsics.${c}`]!.push(...observation.cam_intrinsics[c]!.flat());
                frames.calibration[`observation.cam_extrinsics.${c}`]!.push(...observation.cam_extrinsics[c]!.flat());
              }
              frames.state.push(...stateVector(observation));
              const vector = actionVector(await policy.act(observation, policy.needsPrivileged ? env.privileged() : undefined));
              frames.action.push(...vector);
              const result = env.step(actionFromVector(vector));
              frames.reward.push(result.reward);
              frames.done.push(result.done);
              frames.success.push(result.success);
              observation = result.observation;
              if (result.done) {
                violation = result.violation;
                success = result.success;
                break;
              }
            }
            const length = frames.reward.length;
            const kept = (!options.successOnly || success) && length >= 2;
            if (kept) {
              writer.addEpisode({
                task: taskText(envId),
                length,
                images: Object.fromEntries(cameras.map((c) => [`observation.images.${c}`, frames.images[c]!])),
                values: {
                  'observation.state': frames.state,
                  ...frames.calibration,
                  action: frames.action,
                  'next.reward': frames.reward,
                  'next.done': frames.done,
                  'next.success': frames.success,
                },
              });
              recorded.push({ episode_index: writer.totalEpisodes - 1, env_id: envId, instance, success, violation, steps: length });
            }
            options.onEpisode?.(envId, i, { success, steps: length, kept });
          } catch (err) {
            options.onEpisode?.(envId, i, { success: false, steps: env.steps, kept: false, error: (err as Error).message });
          }
        }
      } finally {
        env.close();
        await policy.close?.();
      }
    }
    const info = writer.finish();
    fs.writeFileSync(
      path.join(options.out, 'meta', 'kinitro.json'),
      JSON.stringify(
        {
          generator: 'kinitro dataset record',
          policy: options.policyName,
          randomization,
          seed: options.seed ?? null,
          max_steps: options.maxSteps ?? 500,
          attempted,
          episodes: recorded,
        },
        null,
        2,
      ),
    );
    return { info, episodes: recorded, attempted };
  } finally {
    renderer.destroy();
  }
}

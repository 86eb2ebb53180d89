/**
 * N evaluation environments stepped together, for training (`kinitro env serve`, docs/training.md).
 *
 * Each sub-environment is the `ManipulationEnv` evaluation runs — same scenes, task generator,
 * randomization, physics, rewards, success and violations — and its images come from the same
 * `CameraRenderer.observe` the executor calls, decoded from the wire's base64 into raw bytes. Nothing
 * here is a training-only variant of the simulation; the only training-only thing is the privileged
 * ground truth, which `privileged: true` adds to `info` and which the server refuses to enable unless
 * it was started in training mode (the evaluation path never reaches this module).
 *
 * Instances: like `kinitro eval`, fresh secret instances by default; after `reset(seed)`, the j-th
 * episode of the r-th sub-environment among the M that run an env id uses the development instance
 * (seed, r + j·M) — so with one sub-environment per env id, episode j is exactly `kinitro eval --seed
 * S`'s episode j of that env, and with several they share out the same sequence without repeats.
 *
 * Episode ends follow Gymnasium: `terminated` on success (the episode ends at the first held success,
 * as in evaluation) or a wrong-candidate violation, `truncated` at the step limit. Auto-reset is
 * Gymnasium's `next_step` by default (the step after an end resets that sub-environment and ignores
 * its action), or `same_step` (reset at once; the last observation goes to `final` arrays), or
 * `disabled`.
 */
import { ManipulationEnv, type PrivilegedState } from '../sim/env.ts';
import { devInstance, freshInstance, type Randomization } from '../sim/instance.ts';
import { loadMujoco, type Mujoco } from '../sim/mujoco.ts';
import { decodeImage } from '../sim/protocol.ts';
import type { EnvId } from '../sim/registry.ts';
import { CameraRenderer, DEFAULT_CAMERAS, DEFAULT_IMAGE_SIZE, type RenderScene } from '../sim/render/index.ts';
import { generateTask } from '../sim/tasks.ts';

/** The proprio channels in the order of the state vector (alphabetical, like the original's `proprio_array()`). */
export const PROPRIO_LAYOUT = [
  ['ee_pos', 3],
  ['ee_quat', 4],
  ['ee_vel_ang', 3],
  ['ee_vel_lin', 3],
  ['gripper', 1],
] as const;
export const PROPRIO_SIZE = PROPRIO_LAYOUT.reduce((n, [, size]) => n + size, 0);
/** Names of the state vector's values (dataset `names`, client spaces). */
export const PROPRIO_NAMES: string[] = PROPRIO_LAYOUT.flatMap(([name, size]) =>
  size === 1 ? [name] : Array.from({ length: size }, (_, i) => `${name}.${'xyzw'[i]}`),
);
/** The flat action: the wire's `ee_twist` (6) then `gripper` (1), like the original's `from_array` schema. */
export const ACTION_NAMES = ['ee_twist.vx', 'ee_twist.vy', 'ee_twist.vz', 'ee_twist.wx', 'ee_twist.wy', 'ee_twist.wz', 'gripper'];
export const ACTION_SIZE = ACTION_NAMES.length;
export const ACTION_LOW = [-1, -1, -1, -1, -1, -1, 0];
export const ACTION_HIGH = [1, 1, 1, 1, 1, 1, 1];
/** Control steps per second (12.5 ms per step: 5 substeps of 2.5 ms). */
export const CONTROL_FPS = 80;

export type AutoReset = 'next_step' | 'same_step' | 'disabled';

export interface VecEnvConfig {
  envIds: readonly EnvId[];
  images: boolean;
  maxSteps: number;
  randomization: Randomization;
  autoreset: AutoReset;
  /** Ground truth in `info.privileged` (training only; the server gates it). */
  privileged: boolean;
  /**
   * Each sub-environment's rank among those of its env id in the whole vector, and their number
   * (default: computed from `envIds`). A shard of a larger vector passes its slice, so the instance
   * sequence is the same however the vector is split across threads.
   */
  placement?: readonly { rank: number; peers: number }[];
}

/** Per-sub-environment facts that travel as JSON next to the arrays. */
export interface VecInfo {
  success: boolean[];
  violation: (string | null)[];
  /** Control steps taken in the current episode. */
  episode_steps: number[];
  /** Episodes started by each sub-environment since the last seeded reset (the current one included). */
  episode: number[];
  /** Sub-environments whose action this step was ignored because they were reset (next_step auto-reset). */
  reset: boolean[];
  /** A simulation error that ended the episode (reported as truncated), or null. */
  error: (string | null)[];
  /** TRAINING ONLY: ground truth per sub-environment (null unless privileged mode). */
  privileged?: (Record<string, unknown> | null)[];
}

export interface ObservationArrays {
  proprio: Float64Array;
  rgb?: Uint8Array;
  intrinsics?: Float64Array;
  extrinsics?: Float64Array;
}

export interface VecStep extends ObservationArrays {
  reward: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  info: VecInfo;
  /** same_step auto-reset: the observation each ended sub-environment finished with (those in `mask`). */
  final?: ObservationArrays & { mask: Uint8Array; info: { success: boolean[]; violation: (string | null)[]; privileged?: (Record<string, unknown> | null)[] } };
}

interface Slot {
  env: ManipulationEnv;
  /** Rank among the sub-environments of the same env id, and how many there are. */
  rank: number;
  peers: number;
  /** Episodes started since the last seeded reset. */
  episodes: number;
  instance: string;
  needsReset: boolean;
  lastProprio: Record<string, number[]>;
  steps: number;
  success: boolean;
  violation: string | null;
}

export class VecEnvCore {
  readonly numEnvs: number;
  readonly cameras: readonly string[];
  readonly imageSize = DEFAULT_IMAGE_SIZE;
  private readonly slots: Slot[];
  private readonly renderer: CameraRenderer | undefined;
  private seed: number | null = null;
  private closed = false;

  static async create(config: VecEnvConfig): Promise<VecEnvCore> {
    return new VecEnvCore(await loadMujoco(), config);
  }

  constructor(
    mujoco: Mujoco,
    readonly config: VecEnvConfig,
  ) {
    if (config.envIds.length === 0) throw new Error('no environments requested');
    if (!Number.isInteger(config.maxSteps) || config.maxSteps < 1) throw new RangeError(`maxSteps must be a positive integer, got ${config.maxSteps}`);
    this.numEnvs = config.envIds.length;
    this.cameras = config.images ? DEFAULT_CAMERAS : [];
    const counts = new Map<string, number>();
    const ranks = config.envIds.map((id) => {
      const r = counts.get(id) ?? 0;
      counts.set(id, r + 1);
      return r;
    });
    this.slots = [];
    try {
      config.envIds.forEach((envId, k) => {
        // Images are drawn here for all sub-environments at once, exactly as the executor draws them.
        const env = new ManipulationEnv(mujoco, envId, { randomization: config.randomization, maxSteps: config.maxSteps, endOnSuccess: true, images: false });
        const place = config.placement?.[k] ?? { rank: ranks[k]!, peers: counts.get(envId)! };
        this.slots.push({
          env,
          rank: place.rank,
          peers: place.peers,
          episodes: 0,
          instance: '',
          needsReset: true,
          lastProprio: {},
          steps: 0,
          success: false,
          violation: null,
        });
      });
    } catch (err) {
      for (const s of this.slots) s.env.close();
      throw err;
    }
    this.renderer = config.images ? new CameraRenderer() : undefined;
  }

  get envIds(): readonly EnvId[] {
    return this.config.envIds;
  }

  /** Resets every sub-environment. A seed restarts the development-instance sequence; null continues the current one. */
  reset(seed: number | null = null): VecStep {
    this.assertOpen();
    if (seed !== null) {
      if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
      this.seed = seed;
      for (const s of this.slots) s.episodes = 0;
    }
    const n = this.numEnvs;
    const out = this.emptyStep();
    for (let k = 0; k < n; k++) {
      this.resetSlot(k);
      out.info.reset[k] = true;
    }
    this.fill(out, out, [...Array(n).keys()]);
    return out;
  }

  /** Steps every sub-environment with its row of `actions` (numEnvs × 7: ee_twist then gripper). */
  step(actions: Float64Array): VecStep {
    this.assertOpen();
    const n = this.numEnvs;
    if (actions.length !== n * ACTION_SIZE) throw new RangeError(`expected ${n}×${ACTION_SIZE} actions, got ${actions.length} values`);
    const out = this.emptyStep();
    const ended: number[] = [];
    for (let k = 0; k < n; k++) {
      const slot = this.slots[k]!;
      if (slot.needsReset) {
        if (this.config.autoreset === 'disabled') throw new Error(`sub-environment ${k}'s episode is over: call reset() (autoreset is disabled)`);
        this.resetSlot(k);
        out.info.reset[k] = true;
        continue;
      }
      const a = actions.subarray(k * ACTION_SIZE, (k + 1) * ACTION_SIZE);
      const action = { continuous: { ee_twist: Array.from(a.subarray(0, 6)), gripper: [a[6]!] }, discrete: {}, extra: {} };
      try {
        const result = slot.env.step(action);
        slot.lastProprio = result.observation.proprio;
        slot.steps = result.steps;
        slot.success = result.success;
        slot.violation = result.violation;
        out.reward[k] = result.reward;
        out.truncated[k] = result.truncated ? 1 : 0;
        out.terminated[k] = result.done && !result.truncated ? 1 : 0;
        if (result.done) {
          slot.needsReset = true;
          ended.push(k);
        }
      } catch (err) {
        // An unstable simulation ends the episode; the learner sees a truncation with the reason.
        out.truncated[k] = 1;
        out.info.error[k] = (err as Error).message;
        slot.needsReset = true;
        ended.push(k);
      }
    }
    this.fill(out, out, [...Array(n).keys()]);
    if (this.config.autoreset === 'same_step' && ended.length > 0) {
      const final = {
        ...this.emptyObservation(),
        mask: new Uint8Array(n),
        info: {
          success: out.info.success.slice(),
          violation: out.info.violation.slice(),
          ...(out.info.privileged ? { privileged: out.info.privileged.slice() } : {}),
        },
      };
      copyObservation(out, final);
      for (const k of ended) {
        final.mask[k] = 1;
        this.resetSlot(k);
        out.info.reset[k] = true;
      }
      out.final = final;
      this.fill(out, out, ended);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) s.env.close();
    this.renderer?.destroy();
  }

  // ---------- internals ----------

  private assertOpen(): void {
    if (this.closed) throw new Error('the vector environment is closed');
  }

  private nextInstance(slot: Slot): string {
    const index = slot.rank + slot.episodes * slot.peers;
    return this.seed === null ? freshInstance(this.config.randomization) : devInstance(this.seed, index, this.config.randomization);
  }

  private resetSlot(k: number): void {
    const slot = this.slots[k]!;
    slot.instance = this.nextInstance(slot);
    slot.episodes += 1;
    slot.lastProprio = slot.env.reset(generateTask(slot.env.envId, slot.instance)).proprio;
    slot.needsReset = false;
    slot.steps = 0;
    slot.success = false;
    slot.violation = null;
  }

  private perEnvSizes() {
    const c = this.cameras.length;
    const px = this.imageSize * this.imageSize * 3;
    return { proprio: PROPRIO_SIZE, rgb: c * px, intrinsics: c * 9, extrinsics: c * 16 };
  }

  private emptyObservation(): ObservationArrays {
    const n = this.numEnvs;
    const size = this.perEnvSizes();
    return {
      proprio: new Float64Array(n * size.proprio),
      ...(this.renderer
        ? { rgb: new Uint8Array(n * size.rgb), intrinsics: new Float64Array(n * size.intrinsics), extrinsics: new Float64Array(n * size.extrinsics) }
        : {}),
    };
  }

  private emptyStep(): VecStep {
    const n = this.numEnvs;
    return {
      ...this.emptyObservation(),
      reward: new Float64Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      info: {
        success: new Array(n).fill(false),
        violation: new Array(n).fill(null),
        episode_steps: new Array(n).fill(0),
        episode: new Array(n).fill(0),
        reset: new Array(n).fill(false),
        error: new Array(n).fill(null),
        ...(this.config.privileged ? { privileged: new Array(n).fill(null) } : {}),
      },
    };
  }

  /** Writes the current observation and info of sub-environments `which` into `out`. */
  private fill(out: ObservationArrays, step: VecStep, which: number[]): void {
    const size = this.perEnvSizes();
    for (const k of which) {
      const slot = this.slots[k]!;
      let at = k * size.proprio;
      for (const [name, width] of PROPRIO_LAYOUT) {
        const values = slot.lastProprio[name] ?? [];
        for (let i = 0; i < width; i++) out.proprio[at + i] = values[i] ?? 0;
        at += width;
      }
      step.info.success[k] = slot.success;
      step.info.violation[k] = slot.violation;
      step.info.episode_steps[k] = slot.steps;
      step.info.episode[k] = slot.episodes;
      if (step.info.privileged) step.info.privileged[k] = this.privilegedOf(slot);
    }
    if (!this.renderer || which.length === 0) return;
    const scenes: RenderScene[] = which.map((k) => ({ model: this.slots[k]!.env.model, data: this.slots[k]!.env.data }));
    const views = this.renderer.observe(scenes);
    which.forEach((k, v) => {
      const view = views[v]!;
      this.cameras.forEach((camera, c) => {
        out.rgb!.set(decodeImage(view.rgb[camera]!), k * size.rgb + c * (size.rgb / this.cameras.length));
        out.intrinsics!.set(view.cam_intrinsics[camera]!.flat(), k * size.intrinsics + c * 9);
        out.extrinsics!.set(view.cam_extrinsics[camera]!.flat(), k * size.extrinsics + c * 16);
      });
    });
  }

  /** TRAINING ONLY: the ground truth of a sub-environment (and the instance key, which determines all of it). */
  private privilegedOf(slot: Slot): Record<string, unknown> {
    let state: PrivilegedState | undefined;
    try {
      state = slot.env.privileged();
    } catch {
      state = undefined;
    }
    return { env_id: slot.env.envId, instance: slot.instance, ...(state ?? {}) };
  }
}

/** Where each sub-environment of a vector of `envIds` stands among those of its env id. */
export function placements(envIds: readonly string[]): { rank: number; peers: number }[] {
  const counts = new Map<string, number>();
  const ranks = envIds.map((id) => {
    const r = counts.get(id) ?? 0;
    counts.set(id, r + 1);
    return r;
  });
  return envIds.map((id, k) => ({ rank: ranks[k]!, peers: counts.get(id)! }));
}

function copyObservation(from: ObservationArrays, to: ObservationArrays): void {
  to.proprio.set(from.proprio);
  if (from.rgb && to.rgb) to.rgb.set(from.rgb);
  if (from.intrinsics && to.intrinsics) to.intrinsics.set(from.intrinsics);
  if (from.extrinsics && to.extrinsics) to.extrinsics.set(from.extrinsics);
}

/**
 * The manipulation environment on MuJoCo WASM (wire types in protocol.ts).
 *
 * One `ManipulationEnv` owns one MjModel and one MjData (its own copy of the model, because resets
 * write randomization into it) and runs one episode at a time. A worker thread can hold many of them
 * on one MuJoCo module. Life cycle: `await ManipulationEnv.create(envId, { randomization })`, then any
 * number of `reset(generateTask(envId, instance))` / `step(action)` episodes, then `close()` (frees
 * the wasm objects). Which objects exist, where they go and how an episode is judged belong to the
 * randomization family's binding (binding.ts; `cued/` by default, `metaworld/`). The compiled scene
 * itself (wasm objects, name lookups, the model fields a reset writes) is `SceneModel` (scene-model.ts).
 *
 * Control step (MetaWorld order): mocap += clip(a, −1, 1) · 1 cm, clipped to the hand box; finger
 * servos get the effort; 5 physics substeps of 2.5 ms; the visual arm follows the hand; kinematics is
 * refreshed so geoms/sites/cameras describe the state after the action; reward, success and
 * violations are judged on that state. Success counts once the binding's test has held for its hold
 * time (one step for MetaWorld, CUED_SUCCESS_HOLD_STEPS for the cued family); a violation (acting on a
 * wrong candidate) ends the episode as a failure.
 */
import { armPose, type Vec3 } from './arm.ts';
import { ACTION_SCALE, toNativeAction } from './action.ts';
import type { EpisodeJudge, HandState } from './binding.ts';
import type { CuedPrivileged } from './cued/binding.ts';
import { DEFAULT_RANDOMIZATION, type Randomization } from './instance.ts';
import { loadMujoco, type MjData, type MjModel, type Mujoco } from './mujoco.ts';
import { emptyObservation, type Observation } from './protocol.ts';
import { ENV_IDS, type EnvId } from './registry.ts';
import { SceneModel } from './scene-model.ts';
import { parseTaskConfig, type TaskConfig } from './tasks.ts';

export { liveEnvironmentCount, sceneXmlFor } from './scene-model.ts';

export const DEFAULT_MAX_STEPS = 500;
/** Physics substeps per control step (MetaWorld's frame_skip). */
export const SUBSTEPS = 5;
/** Substeps run at reset, with the hand held still, so objects settle onto their supports. */
export const SETTLE_SUBSTEPS = 20;
/** The box the mocap target (and so the hand) is confined to (MetaWorld's hand_low/high). */
export const HAND_LOW: Vec3 = [-0.5, 0.4, 0.05];
export const HAND_HIGH: Vec3 = [0.5, 1.0, 0.5];
/** Fingertips are this far below the hand frame. */
export const FINGER_LENGTH = 0.045;
/** Finger separation (claw frames) when fully open and fully closed on nothing. */
export const FINGER_OPEN_SEPARATION = 0.1;
export const FINGER_CLOSED_SEPARATION = 0.03;

/** What the renderer (and other in-process readers) may look at. Treat model and data as read-only. */
export interface SimView {
  readonly envId: EnvId;
  readonly mujoco: Mujoco;
  readonly model: MjModel;
  readonly data: MjData;
}

/** Adds images to an observation; called after every reset and step while images are on. */
export type ImageHook = (view: SimView) => Partial<Pick<Observation, 'rgb' | 'depth' | 'cam_intrinsics' | 'cam_extrinsics'>>;

export interface EnvOptions {
  /** The family of task instances this environment runs (default: the cued family). */
  randomization?: Randomization;
  /** Episode length in control steps (default 500). */
  maxSteps?: number;
  /** End the episode at the first success (default true). */
  endOnSuccess?: boolean;
  /** Ask the image hook for camera images (default true; without a hook there are none). */
  images?: boolean;
  imageHook?: ImageHook;
}

export interface StepResult {
  observation: Observation;
  reward: number;
  /** The episode is over: success (with endOnSuccess), a violation, or the step limit. */
  done: boolean;
  /** Sticky: true from the step at which the success test had held for the hold time. */
  success: boolean;
  /** Why the episode failed early (the policy acted on a wrong candidate), or null. */
  violation: string | null;
  /** The episode ended because it reached maxSteps. */
  truncated: boolean;
  steps: number;
}

/** Ground truth for in-process policies (oracles) and tests. Never part of an Observation. */
export interface PrivilegedState {
  envId: EnvId;
  steps: number;
  /** Hand frame (finger root; 4.5 cm above the fingertips), MetaWorld's obs[0:3]. */
  hand: Vec3;
  mocap: Vec3;
  tcp: Vec3;
  /** Finger separation / 0.1 (MetaWorld's obs[3]: 1 open, 0.3 closed on nothing). */
  gripperDistance: number;
  /** 0 open … 1 closed, as in the observation. */
  gripper: number;
  /** The task's observed point (puck, door handle, drawer point, button top, peg grasp point). */
  object: Vec3;
  /** Orientation of the task object (w, x, y, z). */
  objectQuat: [number, number, number, number];
  goal: Vec3;
  leftPad: Vec3;
  rightPad: Vec3;
  /** The finger effort of the last action (−1 open … +1 close). */
  effort: number;
  doorAngle?: number;
  drawerSlide?: number;
  buttonSlide?: number;
  pegHead?: Vec3;
  holeBox?: Vec3;
  /** The cued family's ground truth (layout, target, task state); absent for MetaWorld instances. */
  cued?: CuedPrivileged;
  success: boolean;
  /** Consecutive steps the success test has held so far. */
  successStreak: number;
}

export class EpisodeOverError extends Error {
  override name = 'EpisodeOverError';
}

const IDENTITY_QUAT: [number, number, number, number] = [1, 0, 0, 0];

/** An environment: the episode (control step, judging, observation) on its compiled scene. */
export class ManipulationEnv extends SceneModel implements SimView {
  readonly maxSteps: number;
  readonly endOnSuccess: boolean;
  images: boolean;
  private imageHook: ImageHook | undefined;

  // Fixed indices.
  private readonly handQposAdr: number;
  private readonly handDofAdr: number;
  private readonly mocapIndex: number;
  private readonly armUpperMocap: number;
  private readonly armForeMocap: number;
  private readonly handBody: number;
  private readonly rightFingerBody: number;
  private readonly leftFingerBody: number;
  private readonly rightTipSite: number;
  private readonly leftTipSite: number;
  private readonly rightPadSite: number;
  private readonly leftPadSite: number;
  private readonly ctrlRight: number;
  private readonly ctrlLeft: number;
  /** The hand hangs this far (world frame) from its mocap target, from the weld's reference pose. */
  private readonly handFromMocap: Vec3;

  // Episode state.
  private config: TaskConfig | undefined;
  private judge: EpisodeJudge | undefined;
  private stepCount = 0;
  private streak = 0;
  private succeeded = false;
  private violation: string | null = null;
  private finished = true;
  private lastEffort = -1;

  /** Loads the thread's MuJoCo module (once) and builds an environment. */
  static async create(envId: EnvId, options: EnvOptions = {}): Promise<ManipulationEnv> {
    return new ManipulationEnv(await loadMujoco(), envId, options);
  }

  constructor(mujoco: Mujoco, envId: EnvId, options: EnvOptions = {}) {
    if (!ENV_IDS.includes(envId)) throw new Error(`unknown environment ${envId}`);
    const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`maxSteps must be a positive integer, got ${maxSteps}`);
    super(mujoco, envId, options.randomization ?? DEFAULT_RANDOMIZATION);
    this.maxSteps = maxSteps;
    this.endOnSuccess = options.endOnSuccess ?? true;
    this.images = options.images ?? true;
    this.imageHook = options.imageHook;
    try {
      const m = this.model;
      const handJoint = this.id('joint', 'hand_free');
      this.handQposAdr = this.jointQposAdr[handJoint]!;
      this.handDofAdr = (m.jnt_dofadr as Int32Array)[handJoint]!;
      const mocapIdOf = (name: string) => (m.body_mocapid as Int32Array)[this.id('body', name)]!;
      this.mocapIndex = mocapIdOf('mocap');
      this.armUpperMocap = mocapIdOf('arm_upper');
      this.armForeMocap = mocapIdOf('arm_fore');
      this.handBody = this.id('body', 'hand');
      this.rightFingerBody = this.id('body', 'right_finger');
      this.leftFingerBody = this.id('body', 'left_finger');
      this.rightTipSite = this.id('site', 'right_tip');
      this.leftTipSite = this.id('site', 'left_tip');
      this.rightPadSite = this.id('site', 'right_pad');
      this.leftPadSite = this.id('site', 'left_pad');
      this.ctrlRight = this.id('actuator', 'right_finger');
      this.ctrlLeft = this.id('actuator', 'left_finger');
      const bodyPos = m.body_pos as Float64Array;
      const mocapBody = this.id('body', 'mocap');
      this.handFromMocap = [0, 1, 2].map((k) => bodyPos[3 * this.handBody + k]! - bodyPos[3 * mocapBody + k]!) as Vec3;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  // ---------- read-only access for the renderer and tests ----------

  get steps(): number {
    return this.stepCount;
  }

  get success(): boolean {
    return this.succeeded;
  }

  /** Why the episode failed early, or null. */
  get failure(): string | null {
    return this.violation;
  }

  get done(): boolean {
    return this.finished;
  }

  get task(): TaskConfig | undefined {
    return this.config;
  }

  /** Consecutive steps the binding's success test must hold before success counts. */
  get successHoldSteps(): number {
    return this.binding.successHoldSteps;
  }

  setImageHook(hook: ImageHook | undefined): void {
    this.imageHook = hook;
  }

  /** Frees the MjData and MjModel (idempotent); an episode in progress is over. */
  override close(): void {
    super.close();
    this.finished = true;
  }

  // ---------- episode ----------

  /** Starts an episode of `config` (validated; must be for this environment and its family). */
  reset(taskConfig: TaskConfig): Observation {
    const config = parseTaskConfig(taskConfig);
    if (config.env_id !== this.envId) throw new Error(`task is for ${config.env_id}, this environment is ${this.envId}`);
    if (config.randomization !== this.randomization)
      throw new Error(`task is a ${config.randomization} instance, this environment runs ${this.randomization} instances`);
    const mj = this.mj;
    const m = this.model;
    const d = this.data;

    this.applyRandomization(config);
    this.binding.paint(this, config);
    // The layout's static poses are model fields: written before the constants are recomputed.
    this.binding.place(this, config);
    // Constants derived from masses and poses (e.g. constraint inverse weights) follow the instance.
    mj.mj_setConst(m, d);
    mj.mj_resetData(m, d);
    this.views.ensure();
    const v = this.views;

    const hand = this.binding.handInit(config);
    v.mocapPos.set(hand, 3 * this.mocapIndex);
    v.mocapQuat.set(IDENTITY_QUAT, 4 * this.mocapIndex);
    v.qpos.set([hand[0] + this.handFromMocap[0], hand[1] + this.handFromMocap[1], hand[2] + this.handFromMocap[2], 1, 0, 0, 0], this.handQposAdr);
    // Free objects and joint states live in mjData, which the reset just cleared: place them again.
    this.binding.place(this, config);
    v.ctrl[this.ctrlRight] = -1;
    v.ctrl[this.ctrlLeft] = -1;
    this.lastEffort = -1;
    this.placeArm();
    mj.mj_forward(m, d);
    for (let i = 0; i < SETTLE_SUBSTEPS; i++) mj.mj_step(m, d);
    this.refreshKinematics();

    this.config = config;
    this.judge = this.binding.begin(this, config, this.handState());
    this.stepCount = 0;
    this.streak = 0;
    this.succeeded = false;
    this.violation = null;
    this.finished = false;
    return this.observe();
  }

  step(action: unknown): StepResult {
    if (this.finished) throw new EpisodeOverError(this.config ? 'the episode is over; call reset() first' : 'no episode; call reset() first');
    const mj = this.mj;
    const m = this.model;
    const d = this.data;
    this.views.ensure();
    const v = this.views;
    const native = toNativeAction(action);

    const base = 3 * this.mocapIndex;
    for (let k = 0; k < 3; k++) {
      const target = v.mocapPos[base + k]! + native.move[k]! * ACTION_SCALE;
      v.mocapPos[base + k] = Math.min(HAND_HIGH[k]!, Math.max(HAND_LOW[k]!, target));
    }
    v.mocapQuat.set(IDENTITY_QUAT, 4 * this.mocapIndex);
    v.ctrl[this.ctrlRight] = native.effort;
    v.ctrl[this.ctrlLeft] = native.effort;
    this.lastEffort = native.effort;
    for (let i = 0; i < SUBSTEPS; i++) mj.mj_step(m, d);
    this.refreshKinematics();
    this.stepCount++;

    const judgement = this.judge!.judge(this, this.handState());
    this.streak = judgement.success ? this.streak + 1 : 0;
    // Success is sticky, but a violation before it (or at the same step) means the episode failed.
    if (!this.succeeded && judgement.violation !== null) this.violation = judgement.violation;
    else if (this.streak >= this.binding.successHoldSteps) this.succeeded = true;
    const truncated = this.stepCount >= this.maxSteps;
    this.finished = truncated || this.violation !== null || (this.endOnSuccess && this.succeeded);
    return {
      observation: this.observe(),
      reward: judgement.reward,
      done: this.finished,
      success: this.succeeded,
      violation: this.violation,
      truncated: truncated && this.violation === null && !(this.endOnSuccess && this.succeeded),
      steps: this.stepCount,
    };
  }

  /** Ground truth for in-process policies. Not available to miners. */
  privileged(): PrivilegedState {
    if (!this.judge) throw new Error('no episode; call reset() first');
    this.views.ensure();
    const task = this.judge.privileged(this);
    const separation = this.fingerSeparation();
    return {
      envId: this.envId,
      steps: this.stepCount,
      hand: this.bodyPos('hand'),
      mocap: Array.from(this.views.mocapPos.subarray(3 * this.mocapIndex, 3 * this.mocapIndex + 3)) as Vec3,
      tcp: this.tcp(),
      gripperDistance: gripperDistance(separation),
      gripper: gripperClosedness(separation),
      object: task.object,
      objectQuat: task.objectQuat,
      goal: task.goal,
      leftPad: this.sitePos('left_pad'),
      rightPad: this.sitePos('right_pad'),
      effort: this.lastEffort,
      ...(task.extras as Partial<PrivilegedState>),
      success: this.succeeded,
      successStreak: this.streak,
    };
  }

  /** The hand as judges and oracles see it. */
  handState(): HandState {
    return {
      hand: this.bodyPos('hand'),
      tcp: this.tcp(),
      gripperDistance: gripperDistance(this.fingerSeparation()),
      leftPad: this.siteById(this.leftPadSite),
      rightPad: this.siteById(this.rightPadSite),
      effort: this.lastEffort,
    };
  }

  // ---------- internals ----------

  private tcp(): Vec3 {
    const r = this.siteById(this.rightTipSite);
    const l = this.siteById(this.leftTipSite);
    return [(r[0] + l[0]) / 2, (r[1] + l[1]) / 2, (r[2] + l[2]) / 2];
  }

  private fingerSeparation(): number {
    const x = this.views.xpos;
    const r = 3 * this.rightFingerBody;
    const l = 3 * this.leftFingerBody;
    return Math.hypot(x[r]! - x[l]!, x[r + 1]! - x[l + 1]!, x[r + 2]! - x[l + 2]!);
  }

  /** Poses the visual arm from the hand position in qpos (no kinematics needed). */
  private placeArm(): void {
    const v = this.views;
    const a = this.handQposAdr;
    const pose = armPose([v.qpos[a]!, v.qpos[a + 1]!, v.qpos[a + 2]!]);
    v.mocapPos.set(pose.upperPos, 3 * this.armUpperMocap);
    v.mocapQuat.set(pose.upperQuat, 4 * this.armUpperMocap);
    v.mocapPos.set(pose.forePos, 3 * this.armForeMocap);
    v.mocapQuat.set(pose.foreQuat, 4 * this.armForeMocap);
  }

  /**
   * After the substeps, positions in mjData still describe the state before the last integration.
   * Recompute kinematics (bodies, geoms, sites) and cameras/lights for the new state, with the arm
   * following the hand, so observation, judgement and renderer all see the state after the action.
   */
  private refreshKinematics(): void {
    this.placeArm();
    this.mj.mj_kinematics(this.model, this.data);
    this.mj.mj_camlight(this.model, this.data);
    const x = this.views.xpos;
    const h = 3 * this.handBody;
    if (!Number.isFinite(x[h]!) || !Number.isFinite(x[h + 1]!) || !Number.isFinite(x[h + 2]!)) {
      this.finished = true;
      throw new Error(`simulation of ${this.envId} became unstable (non-finite hand position)`);
    }
  }

  private observe(): Observation {
    const v = this.views;
    const q = 4 * this.handBody;
    const quat = v.xquat;
    const dof = this.handDofAdr;
    const lin = [v.qvel[dof]!, v.qvel[dof + 1]!, v.qvel[dof + 2]!];
    // A free joint's angular velocity is in the body frame; rotate it into the world frame.
    const local = [v.qvel[dof + 3]!, v.qvel[dof + 4]!, v.qvel[dof + 5]!];
    const r = v.xmat.subarray(9 * this.handBody, 9 * this.handBody + 9);
    const ang = [0, 1, 2].map((i) => r[3 * i]! * local[0]! + r[3 * i + 1]! * local[1]! + r[3 * i + 2]! * local[2]!);
    const tcp = this.tcp();
    const hand = this.bodyPos('hand');
    // The TCP moves with the hand plus ω × (tcp − hand).
    const arm = [tcp[0] - hand[0], tcp[1] - hand[1], tcp[2] - hand[2]];
    const tcpVel = [
      lin[0]! + ang[1]! * arm[2]! - ang[2]! * arm[1]!,
      lin[1]! + ang[2]! * arm[0]! - ang[0]! * arm[2]!,
      lin[2]! + ang[0]! * arm[1]! - ang[1]! * arm[0]!,
    ];
    const observation = emptyObservation();
    observation.proprio = {
      ee_pos: tcp,
      ee_quat: [quat[q + 1]!, quat[q + 2]!, quat[q + 3]!, quat[q]!],
      ee_vel_lin: tcpVel,
      ee_vel_ang: ang,
      gripper: [gripperClosedness(this.fingerSeparation())],
    };
    if (this.images && this.imageHook) Object.assign(observation, this.imageHook(this));
    return observation;
  }
}

/** Finger separation / 0.1, clipped to [0, 1] (MetaWorld's obs[3]: 1 open, 0.3 closed on nothing). */
function gripperDistance(separation: number): number {
  return Math.min(1, Math.max(0, separation / FINGER_OPEN_SEPARATION));
}

/** 0 with the fingers fully open … 1 fully closed on nothing. */
export function gripperClosedness(separation: number): number {
  const t = (FINGER_OPEN_SEPARATION - separation) / (FINGER_OPEN_SEPARATION - FINGER_CLOSED_SEPARATION);
  return Math.min(1, Math.max(0, t));
}

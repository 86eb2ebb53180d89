/**
 * How a family of task instances lands in a scene: the port between the environment core (env.ts:
 * MuJoCo, stepping, observations) and a randomization family (`metaworld/`, `cued/`). A binding owns
 * its scene text, where things go at reset, and how an episode is judged; the core owns everything
 * common (physics and lighting randomization, the hand, held success, observations).
 */
import type { Vec3 } from './arm.ts';
import type { Randomization } from './instance.ts';
import type { TaskConfig } from './tasks.ts';

/** Read/write access a binding has to the scene (ManipulationEnv implements it). */
export interface SceneAccess {
  id(kind: 'body' | 'joint' | 'geom' | 'site' | 'actuator' | 'camera' | 'light', name: string): number;
  bodyPos(name: string): Vec3;
  /** World orientation (w, x, y, z). */
  bodyQuat(name: string): [number, number, number, number];
  sitePos(name: string): Vec3;
  jointQpos(name: string): number;
  setJointQpos(name: string, value: number): void;
  /** Places a free body at rest, upright and turned by `yaw` about the world z axis. */
  setFreeBody(jointName: string, position: Vec3, yaw?: number): void;
  /** Moves (and turns about z) a static body by writing its model pose (restored at every reset). */
  setStaticBodyPose(name: string, position: readonly number[], yaw?: number): void;
  /** Writes a geom's colour (restored at every reset). */
  setGeomRgb(name: string, rgb: readonly number[]): void;
  /** Multiplies a geom's nominal colour per channel, clipped to [0, 1] (restored at every reset). */
  tintGeom(name: string, factors: readonly number[]): void;
}

/** The hand as the judges see it. */
export interface HandState {
  /** The hand frame (finger root), 4.5 cm above the fingertips. */
  hand: Vec3;
  /** Fingertip midpoint. */
  tcp: Vec3;
  /** Finger separation / 0.1 (1 open, ≈0.3 closed on nothing). */
  gripperDistance: number;
  leftPad: Vec3;
  rightPad: Vec3;
  /** The gripper effort of the last action (−1 open … +1 close). */
  effort: number;
}

export interface Judgement {
  reward: number;
  /** The task's success test at this step (the core requires it to hold for `successHoldSteps`). */
  success: boolean;
  /** Set when the policy acted on a wrong candidate: the episode ends as a failure. */
  violation: string | null;
}

/** What an episode's judge tells the privileged state (in-process oracles and tests only). */
export interface TaskPrivileged {
  /** The task's observed point (the target object or its handle). */
  object: Vec3;
  objectQuat: [number, number, number, number];
  goal: Vec3;
  /** Binding-specific ground truth (MetaWorld: door angle, drawer slide…; cued: the whole instance). */
  extras: Record<string, unknown>;
}

export interface EpisodeJudge {
  judge(env: SceneAccess, hand: HandState): Judgement;
  privileged(env: SceneAccess): TaskPrivileged;
}

export interface SceneBinding {
  readonly randomization: Randomization;
  /** The complete MJCF text of the scene. */
  readonly xml: string;
  /** Consecutive control steps the success test must hold (1 = MetaWorld's "any single step"). */
  readonly successHoldSteps: number;
  /** Geoms the table tint multiplies. */
  readonly tableGeoms: readonly string[];
  /** Bodies whose mass and inertia `mass_scale` multiplies. */
  readonly massBodies: readonly string[];
  /** A fixed look written over the scene's nominal colours once, at construction. */
  readonly look?: Readonly<Record<string, readonly number[]>>;
  /** Names every episode uses; resolved at construction so a broken scene fails early. */
  readonly requiredNames: readonly { kind: 'body' | 'joint' | 'geom' | 'site'; name: string }[];
  handInit(config: TaskConfig): Vec3;
  /** Colours that depend on the instance (tints, palette), over freshly restored nominal colours. */
  paint(env: SceneAccess, config: TaskConfig): void;
  /** Writes the layout into the model (static fixtures) and data (free objects, joint states). */
  place(env: SceneAccess, config: TaskConfig): void;
  /** After the settle at reset: freezes what the episode is judged against. */
  begin(env: SceneAccess, config: TaskConfig, hand: HandState): EpisodeJudge;
}

/**
 * What one environment of the cued family defines (one module per environment under src/sim/cued/).
 *
 * The rules every module keeps (docs/simulation.md, "Threat model"):
 * - Candidates are identical to touch: same geoms, sizes, masses, joints, friction and contact
 *   parameters; only the colours of their `candidateGeoms` differ (painted by the binding).
 * - The layout is symmetric in the candidates: nothing is placed relative to one particular
 *   candidate, because the target is drawn independently of the layout (from the instance's variant
 *   stream, which may differ per miner while the layout is shared).
 * - `judge` ends the episode (a `violation`) as soon as the policy acts on a wrong candidate in the
 *   task's sense, and its `success` is an instantaneous test the core must see hold for
 *   CUED_SUCCESS_HOLD_STEPS consecutive steps.
 * - Fixtures move over the whole reachable workspace in position and yaw (within what the fixed-
 *   orientation gripper can physically do), so no coordinate is constant across instances.
 */
import type { z } from 'zod';
import type { Vec3 } from '../arm.ts';
import type { HandState, Judgement, SceneAccess } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';

/** Consecutive control steps a cued task's success test must hold (0.125 s at 80 Hz). */
export const CUED_SUCCESS_HOLD_STEPS = 10;

/** A move command for the hand (1 = 1 cm per step, clipped to [−1, 1]) and a finger effort (−1 open … +1 close). */
export interface OracleCommand {
  move: [number, number, number];
  effort: number;
}

/** Everything the privileged oracle may read about a cued episode. */
export interface CuedOracleView<L, S> {
  hand: HandState;
  mocap: Vec3;
  steps: number;
  layout: L;
  target: number;
  /** The task state now and at the start of the episode (after the settle). */
  state: S;
  start: S;
}

export interface CuedEnvModule<L = unknown, S = unknown> {
  /** Scene fragment, relative to data/scenes/cued/ (without .xml). */
  readonly scene: string;
  /** Number of candidates (≥ 3); the chance of a policy that picks one at random is 1/candidates. */
  readonly candidates: number;
  /** Validates a layout that came from outside this process (database, API). */
  readonly layoutSchema: z.ZodType<L>;
  /** Bodies whose mass and inertia the physics randomization scales — every candidate alike. */
  readonly massBodies: readonly string[];
  /** Other names an episode uses (resolved at construction, so a broken scene fails early). */
  readonly requiredNames: readonly { kind: 'body' | 'joint' | 'geom' | 'site'; name: string }[];
  /** Draws a layout from the instance's layout stream. Pure and symmetric in the candidates. */
  generate(rng: RandomSource): L;
  /** Where the hand starts (its mocap target at reset). */
  handInit(layout: L): Vec3;
  /** The geoms that wear candidate `index`'s colour. */
  candidateGeoms(index: number): readonly string[];
  /** Writes the layout into the model (static fixtures) and data (free objects, joint states). */
  place(env: SceneAccess, layout: L): void;
  /** Measures the task state (after every step, and once after the settle at reset). */
  measure(env: SceneAccess, layout: L): S;
  /** Pure judgement of one step: reward (shaped, 0–10), instantaneous success, wrong-candidate violation. */
  judge(now: S, start: S, layout: L, target: number, hand: HandState): Judgement;
  /** The target's observed point and the goal point (PrivilegedState.object / goal). */
  keyPoints(now: S, layout: L, target: number): { object: Vec3; goal: Vec3 };
  /** The privileged scripted policy (ground truth in, one command out); `memory` lives for one episode. */
  oracle(view: CuedOracleView<L, S>, memory: Record<string, unknown>): OracleCommand;
}

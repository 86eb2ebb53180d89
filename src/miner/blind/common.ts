/**
 * The blind adversaries' toolkit. A blind strategy sees only proprioception — where its fingertips
 * are, how fast they move, how closed the gripper is — and the env id; it never reads an image. It is
 * written as a generator: each `yield` sends one command and receives the next observation, so a
 * scripted attack reads top to bottom (`yield* goTo(p)`, `yield* probeDown(x, y)`).
 *
 * Touch is what a blind miner has: the hand follows its mocap target through a soft weld, so when the
 * fingertips are blocked the integrated command (which a policy can compute from its own actions)
 * runs ahead of the measured position. `BlindObservation.lag` exposes exactly that, and the probes
 * below turn it into contact points, as an attacker would.
 */
import type { Vec3 } from '../../sim/arm.ts';
import type { RandomSource } from '../../sim/drbg.ts';
import type { Observation } from '../../sim/protocol.ts';
import type { EnvId } from '../../sim/registry.ts';

/** The hand box the mocap is confined to (public: the action semantics in docs/simulation.md). */
export const MOCAP_LOW: Vec3 = [-0.5, 0.4, 0.05];
export const MOCAP_HIGH: Vec3 = [0.5, 1.0, 0.5];
/** Fingertips are 4.5 cm below the hand frame; the hand hangs ≈ 4.5 mm below its mocap target. */
export const FINGER = 0.045;
export const SAG = 0.0045;

export interface BlindObservation {
  step: number;
  /** Fingertip midpoint (proprio ee_pos). */
  tcp: Vec3;
  /** Fingertip velocity (m/s). */
  vel: Vec3;
  /** 0 open … 1 closed on nothing (a value in between: fingers stopped by something held). */
  gripper: number;
  /** Where the fingertips would be if nothing blocked the hand: integrated commands, minus finger and sag. */
  commanded: Vec3;
  /** commanded − tcp: how far the hand trails its own command (a few mm in free motion, more on contact). */
  lag: Vec3;
}

export interface BlindCommand {
  /** Move per step in [−1, 1] (1 = 1 cm). */
  move: Vec3;
  /** 0 open … 1 closed. */
  gripper: number;
}

/** One blind attack: a generator that yields commands and receives observations. */
export type BlindScript = Generator<BlindCommand, void, BlindObservation>;

export type BlindTechnique = 'touch-probe' | 'raster' | 'fixed-line' | 'drag' | 'wedge' | 'random-candidate';

export interface BlindStrategy {
  /** Unique name, used as `--policy blind:<name>`. */
  name: string;
  envIds: readonly EnvId[];
  techniques: readonly BlindTechnique[];
  /** One sentence: what it does. */
  summary: string;
  script(first: BlindObservation, rng: RandomSource): BlindScript;
}

const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Tracks the integrated mocap command from the policy's own actions (what a miner can compute). */
export class CommandTracker {
  private mocap: Vec3 | undefined;
  private steps = 0;

  observe(obs: Observation): BlindObservation {
    const p = obs.proprio;
    const tcp = ((p.ee_pos ?? [0, 0.6, 0.15]).slice(0, 3) as Vec3).map((v) => (Number.isFinite(v) ? v : 0)) as Vec3;
    const vel = ((p.ee_vel_lin ?? [0, 0, 0]).slice(0, 3) as Vec3).map((v) => (Number.isFinite(v) ? v : 0)) as Vec3;
    const gripper = Number.isFinite(p.gripper?.[0]) ? p.gripper![0]! : 0;
    // At the first observation the hand rests under its mocap target.
    this.mocap ??= [tcp[0], tcp[1], tcp[2] + FINGER + SAG];
    const commanded: Vec3 = [this.mocap[0], this.mocap[1], this.mocap[2] - FINGER - SAG];
    return { step: this.steps, tcp, vel, gripper, commanded, lag: [commanded[0] - tcp[0], commanded[1] - tcp[1], commanded[2] - tcp[2]] };
  }

  /** Records the command sent (after the action parser's clipping), as the environment will apply it. */
  sent(command: BlindCommand): void {
    if (!this.mocap) return;
    for (let k = 0; k < 3; k++) this.mocap[k] = clip(this.mocap[k]! + clip(command.move[k]!, -1, 1) * 0.01, MOCAP_LOW[k]!, MOCAP_HIGH[k]!);
    this.steps++;
  }
}

/** A proportional move of the fingertips toward `target` (gain per metre, in command units). */
export function steer(from: Vec3, target: Vec3, gain = 10): Vec3 {
  return [gain * (target[0] - from[0]), gain * (target[1] - from[1]), gain * (target[2] - from[2])];
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/**
 * Moves the fingertips to `target` (by the commanded position, so it also works while touching) and
 * returns the last observation. Stops after `maxSteps`.
 */
export function* goTo(
  obs: BlindObservation,
  target: Vec3,
  options: { gripper?: number; tolerance?: number; maxSteps?: number; gain?: number } = {},
): Generator<BlindCommand, BlindObservation, BlindObservation> {
  const tolerance = options.tolerance ?? 0.005;
  for (let i = 0; i < (options.maxSteps ?? 200); i++) {
    if (dist(obs.tcp, target) <= tolerance) break;
    obs = yield { move: steer(obs.tcp, target, options.gain ?? 10), gripper: options.gripper ?? 0 };
  }
  return obs;
}

/** Holds still for `steps` steps (e.g. to satisfy a held-success test, or to let the fingers close). */
export function* dwell(obs: BlindObservation, steps: number, gripper = 0): Generator<BlindCommand, BlindObservation, BlindObservation> {
  for (let i = 0; i < steps; i++) obs = yield { move: [0, 0, 0], gripper };
  return obs;
}

export interface Contact {
  /** Where the fingertips stopped. */
  at: Vec3;
  /** How far the command ran past it. */
  lag: number;
}

/**
 * Moves along `direction` (unit) at `speed` (cm per step) from the current position for at most
 * `distance` metres, and reports the first contact: the fingertips trail the integrated command by
 * more than `threshold` while nearly still. The command stops short once contact is felt, so a probe
 * presses gently. It misses surfaces that give way or deflect the fingers sideways; `feelAlong`
 * (speed and sideways lag) catches those.
 */
export function* probe(
  obs: BlindObservation,
  direction: Vec3,
  distance: number,
  options: { speed?: number; threshold?: number; gripper?: number } = {},
): Generator<BlindCommand, { obs: BlindObservation; contact: Contact | undefined }, BlindObservation> {
  const speed = options.speed ?? 0.4;
  const threshold = options.threshold ?? 0.008;
  const start = obs.commanded;
  const steps = Math.ceil(distance / (speed * 0.01));
  for (let i = 0; i < steps; i++) {
    const along = obs.lag[0] * direction[0] + obs.lag[1] * direction[1] + obs.lag[2] * direction[2];
    if (along > threshold && Math.hypot(...obs.vel) < 0.05) {
      // Back the command off to where the fingertips are, so the probe does not push on.
      const at: Vec3 = [...obs.tcp];
      obs = yield { move: [-direction[0] * (along / 0.01), -direction[1] * (along / 0.01), -direction[2] * (along / 0.01)], gripper: options.gripper ?? 0 };
      return { obs, contact: { at, lag: along } };
    }
    if (dist(obs.commanded, start) >= distance) break;
    obs = yield { move: [direction[0] * speed, direction[1] * speed, direction[2] * speed], gripper: options.gripper ?? 0 };
  }
  return { obs, contact: undefined };
}

/**
 * A gentle vertical probe at (x, y): travel at `cruiseZ`, go down until contact or `floorZ`. Returns the
 * fingertip height where something stopped it (undefined: nothing above the floor there).
 */
export function* probeDown(
  obs: BlindObservation,
  x: number,
  y: number,
  cruiseZ: number,
  floorZ: number,
): Generator<BlindCommand, { obs: BlindObservation; height: number | undefined }, BlindObservation> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], cruiseZ], { tolerance: 0.01 });
  obs = yield* goTo(obs, [x, y, cruiseZ], { tolerance: 0.006 });
  const result = yield* probe(obs, [0, 0, -1], cruiseZ - floorZ);
  const top = result.contact?.at[2];
  obs = yield* goTo(result.obs, [x, y, cruiseZ], { tolerance: 0.01 });
  return { obs, height: top };
}

/**
 * Moves the (closed) fingertips along `direction` (unit) at `speed` cm per step for at most `distance`. In free
 * motion the hand trails its command by ≈ 2.6 steps; contact is the fingertips slowing below 40 % of
 * the commanded speed, or trailing its command more than 8 mm sideways (a slanted face deflects the
 * fingers instead of stopping them). Backs the command off to the fingertips on contact.
 */
export function* feelAlong(
  obs: BlindObservation,
  direction: Vec3,
  distance: number,
  speed = 1,
): Generator<BlindCommand, { obs: BlindObservation; at?: Vec3 }, BlindObservation> {
  const steps = Math.ceil(distance / (speed * 0.01));
  for (let i = 0; i < steps; i++) {
    const { lag, vel } = obs;
    const t = lag[0] * direction[0] + lag[1] * direction[1] + lag[2] * direction[2];
    const off = Math.hypot(lag[0] - t * direction[0], lag[1] - t * direction[1], lag[2] - t * direction[2]);
    const v = vel[0] * direction[0] + vel[1] * direction[1] + vel[2] * direction[2];
    if (i >= 6 && (v < 0.4 * speed * 0.8 || off > 0.008)) {
      const at: Vec3 = [...obs.tcp];
      obs = yield { move: [obs.lag[0] * -100, obs.lag[1] * -100, obs.lag[2] * -100], gripper: 1 };
      return { obs, at };
    }
    obs = yield { move: [direction[0] * speed, direction[1] * speed, direction[2] * speed], gripper: 1 };
  }
  return { obs };
}

/** Moves the command (not the fingertips) to `target` in full-speed steps; the hand follows ≈ 2.6 steps behind. */
export function* commandTo(obs: BlindObservation, target: Vec3, gripper = 1): Generator<BlindCommand, BlindObservation, BlindObservation> {
  const d: Vec3 = [target[0] - obs.commanded[0], target[1] - obs.commanded[1], target[2] - obs.commanded[2]];
  const n = Math.ceil(Math.max(Math.abs(d[0]), Math.abs(d[1]), Math.abs(d[2])) / 0.01 - 1e-9);
  for (let i = 0; i < n; i++) obs = yield { move: [d[0] / n / 0.01, d[1] / n / 0.01, d[2] / n / 0.01], gripper };
  return obs;
}

/** Points of a boustrophedon raster over [low, high] (x-y) at height z, spaced `step` apart. */
export function rasterPoints(low: readonly [number, number], high: readonly [number, number], z: number, step: number): Vec3[] {
  const out: Vec3[] = [];
  const nx = Math.max(1, Math.round((high[0] - low[0]) / step));
  const ny = Math.max(1, Math.round((high[1] - low[1]) / step));
  for (let j = 0; j <= ny; j++) {
    const y = low[1] + ((high[1] - low[1]) * j) / ny;
    for (let i = 0; i <= nx; i++) {
      const x = low[0] + ((high[0] - low[0]) * (j % 2 === 0 ? i : nx - i)) / nx;
      out.push([x, y, z]);
    }
  }
  return out;
}

/** Uniform choice (the "pick a candidate at random" technique). */
export function pick<T>(rng: RandomSource, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

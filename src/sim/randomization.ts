/**
 * What every task instance randomizes besides its layout, whatever its family: physics (friction,
 * damping, the movable objects' mass) and the look (light intensity and direction, the cameras'
 * field of view, the table's tint). Drawn from the instance's layout stream, so every miner of a
 * cycle sees the same physics and lighting.
 */
import { z } from 'zod';
import type { RandomSource } from './drbg.ts';

export type Vec3 = [number, number, number];

export interface PhysicsParams {
  /** Multiplies every geom's friction coefficients. */
  friction: number;
  /** Multiplies every degree of freedom's damping (fingers, doors, drawers, buttons, free bodies). */
  damping: number;
  /** Multiplies the mass and inertia of the task's movable objects (all candidates alike). */
  mass_scale: number;
}

export interface Lighting {
  /** Multiplies the diffuse intensity of every light. */
  light_intensity: number;
  /** Added to every light's nominal direction before re-normalising (turns the lights a little). */
  light_dir_jitter: Vec3;
  /** Degrees added to each named camera's nominal vertical field of view. */
  camera_fovy_jitter_deg: Record<string, number>;
  /** Per-channel multipliers of the table's colour. */
  table_tint: Vec3;
}

/** Ranges of the physics and look randomization (documented in docs/simulation.md). */
export const RANDOMIZATION_RANGES = {
  friction: [0.8, 1.2],
  damping: [0.9, 1.1],
  mass_scale: [0.8, 1.2],
  light_intensity: [0.8, 1.2],
  light_dir_jitter: [-0.15, 0.15],
  camera_fovy_jitter_deg: [-3, 3],
  tint: [0.85, 1.15],
} as const;

/** The cameras whose field of view is jittered (the two the miners see). */
export const JITTERED_CAMERAS = ['corner', 'corner2'] as const;

export function drawPhysics(rng: RandomSource): PhysicsParams {
  const R = RANDOMIZATION_RANGES;
  return { friction: rng.uniform(...R.friction), damping: rng.uniform(...R.damping), mass_scale: rng.uniform(...R.mass_scale) };
}

export function drawTint(rng: RandomSource, range: readonly [number, number] = RANDOMIZATION_RANGES.tint): Vec3 {
  return [rng.uniform(range[0], range[1]), rng.uniform(range[0], range[1]), rng.uniform(range[0], range[1])];
}

export function drawLighting(rng: RandomSource, tableTint: readonly [number, number] = RANDOMIZATION_RANGES.tint): Lighting {
  const R = RANDOMIZATION_RANGES;
  const light_intensity = rng.uniform(...R.light_intensity);
  const light_dir_jitter: Vec3 = [rng.uniform(...R.light_dir_jitter), rng.uniform(...R.light_dir_jitter), rng.uniform(...R.light_dir_jitter)];
  const camera_fovy_jitter_deg: Record<string, number> = {};
  for (const camera of JITTERED_CAMERAS) camera_fovy_jitter_deg[camera] = rng.uniform(...R.camera_fovy_jitter_deg);
  return { light_intensity, light_dir_jitter, camera_fovy_jitter_deg, table_tint: drawTint(rng, tableTint) };
}

export const finite = z.number().finite();
export const bounded = (lo: number, hi: number) => finite.min(lo).max(hi);
export const vec3Schema = (lo: number, hi: number) => z.tuple([bounded(lo, hi), bounded(lo, hi), bounded(lo, hi)]);

/** Sanity limits for configs that came from outside this process (wider than the generators' ranges). */
export const physicsSchema = z.object({ friction: bounded(0.1, 3), damping: bounded(0.1, 3), mass_scale: bounded(0.1, 3) }).strict();

export const lightingShape = {
  light_intensity: bounded(0, 3),
  light_dir_jitter: vec3Schema(-1, 1),
  camera_fovy_jitter_deg: z.record(z.string(), bounded(-20, 20)),
  table_tint: vec3Schema(0, 2),
};

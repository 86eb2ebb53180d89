/** Small geometry and sampling helpers shared by the cued environment modules. Pure. */
import type { Vec3 } from '../arm.ts';
import type { RandomSource } from '../drbg.ts';

export type { Vec3 };
export type V3 = readonly [number, number, number];

export const add = (a: V3, b: V3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: V3, b: V3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: V3, k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
export const dist = (a: V3, b: V3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
export const xyDist = (a: V3, b: V3): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Proportional move from `from` toward `to` with gain `p` (the scripted policies' controller). */
export const toward = (from: V3, to: V3, p: number): [number, number, number] => [p * (to[0] - from[0]), p * (to[1] - from[1]), p * (to[2] - from[2])];

/** MuJoCo quaternion (w, x, y, z) of a rotation by `yaw` about the world z axis. */
export function yawQuat(yaw: number): [number, number, number, number] {
  return [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
}

/** Rotates `v` by `yaw` about the z axis. */
export function rotateZ(v: V3, yaw: number): Vec3 {
  const c = Math.cos(yaw),
    s = Math.sin(yaw);
  return [c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]];
}

/** A point given in a frame at `origin` turned by `yaw`, in world coordinates. */
export function toWorld(origin: V3, yaw: number, local: V3): Vec3 {
  return add(origin, rotateZ(local, yaw));
}

/** A world point in the coordinates of a frame at `origin` turned by `yaw`. */
export function toLocal(origin: V3, yaw: number, world: V3): Vec3 {
  return rotateZ(sub(world, origin), -yaw);
}

/** Distance from point p to the segment a–b, in the xy plane. */
export function xySegmentDistance(p: V3, a: V3, b: V3): number {
  const dx = b[0] - a[0],
    dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Uniform in the axis-aligned box [low, high]. */
export function uniformIn(rng: RandomSource, low: V3, high: V3): Vec3 {
  return [rng.uniform(low[0], high[0]), rng.uniform(low[1], high[1]), rng.uniform(low[2], high[2])];
}

/**
 * Rejection sampling: draws until `accept` passes. Generators use it with ranges where acceptance is
 * likely; the bound turns a layout rule that can never be met into an error instead of a hang.
 */
export function drawUntil<T>(draw: () => T, accept: (value: T) => boolean, what: string, maxTries = 10_000): T {
  for (let i = 0; i < maxTries; i++) {
    const value = draw();
    if (accept(value)) return value;
  }
  throw new Error(`could not draw ${what} within ${maxTries} tries (layout rules too tight)`);
}

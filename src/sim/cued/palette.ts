/**
 * Colours of the cued scenes (docs/simulation.md, "Palette and cue"): what miners must learn to tell
 * apart, and what stays separable under the lighting and colour randomization.
 *
 * - Candidates wear one of five saturated palette hues, all different within an instance.
 * - The cue light on the gripper's wrist wears the target's palette colour.
 * - Goal markers (push, pick-place) are always cyan, a hue no candidate uses.
 * - Everything else (table, robot, fixtures, peg) is neutral: saturation below ~0.3 even after the
 *   table tint, so saturated pixels are candidates, the cue light or a goal marker.
 *
 * Jitter per instance is ±5° of hue and a little saturation and value; the renderer's white lights
 * scale brightness but keep hue and saturation, so the nearest palette hues (55° apart at least) never
 * meet.
 */
import type { RandomSource } from '../drbg.ts';

export const PALETTE = ['red', 'yellow', 'green', 'blue', 'magenta'] as const;
export type PaletteColour = (typeof PALETTE)[number];

/** Hue (degrees), saturation and value (0–1) of each palette colour and of the goal colour. */
export const HSV: Record<PaletteColour | 'cyan', readonly [number, number, number]> = {
  red: [0, 0.85, 0.85],
  yellow: [55, 0.85, 0.9],
  green: [125, 0.8, 0.7],
  blue: [228, 0.8, 0.85],
  magenta: [300, 0.75, 0.8],
  cyan: [182, 0.85, 0.8],
};

/** The goal markers' colour (push, pick-place). */
export const GOAL_COLOUR = 'cyan' as const;

/** Per-instance colour jitter bounds (hue degrees; saturation and value multipliers). */
export const COLOUR_JITTER = { hueDeg: 5, saturation: [0.92, 1], value: [0.85, 1] } as const;

/** A drawn jitter: [hue offset in degrees, saturation multiplier, value multiplier]. */
export type Jitter = [number, number, number];

export function drawJitter(rng: RandomSource): Jitter {
  const J = COLOUR_JITTER;
  return [rng.uniform(-J.hueDeg, J.hueDeg), rng.uniform(J.saturation[0], J.saturation[1]), rng.uniform(J.value[0], J.value[1])];
}

export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hue = ((h % 360) + 360) % 360;
  const c = v * s;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  return [r + m, g + m, b + m];
}

/** The RGB a palette (or goal) colour takes under a jitter. */
export function colourRgb(colour: PaletteColour | 'cyan', jitter: Jitter = [0, 1, 1]): [number, number, number] {
  const [h, s, v] = HSV[colour];
  return hsvToRgb(h + jitter[0], Math.min(1, s * jitter[1]), Math.min(1, v * jitter[2]));
}

/**
 * The neutral look of the cued scenes, applied over the base scene's colours: a warm-grey table and a
 * light-grey robot (the base scene's red arm and brown table belong to the MetaWorld look). The table
 * is the only WARM neutral (hue ≈ 35°, saturation ≈ 0.2); everything else neutral is cool grey or dark
 * (FIXTURE_COLOURS), so a camera tells the table from a fixture or the robot without knowing the scene.
 */
export const CUED_LOOK: Record<string, readonly [number, number, number, number]> = {
  table_top: [0.6, 0.55, 0.47, 1],
  table_leg_fl: [0.45, 0.43, 0.4, 1],
  table_leg_fr: [0.45, 0.43, 0.4, 1],
  table_leg_bl: [0.45, 0.43, 0.4, 1],
  table_leg_br: [0.45, 0.43, 0.4, 1],
  robot_shoulder: [0.78, 0.78, 0.8, 1],
  arm_upper: [0.78, 0.78, 0.8, 1],
  arm_fore: [0.78, 0.78, 0.8, 1],
};

/** Colours for everything in a cued scene that is not a candidate, cue or goal: cool greys and dark. */
export const FIXTURE_COLOURS = {
  light: [0.82, 0.84, 0.88],
  grey: [0.55, 0.57, 0.62],
  dark: [0.16, 0.16, 0.18],
} as const;

/** Range of the table tint (per channel) in the cued scenes: narrow enough to keep the table neutral. */
export const CUED_TABLE_TINT = [0.95, 1.05] as const;

/**
 * Colour classes of the cued scenes (src/sim/cued/palette.ts documents the scene side): the five
 * candidate colours, the cyan of goal markers, the warm-grey table, dark parts, and everything else.
 *
 * Lights are white, so shading scales a surface's brightness but keeps its hue and saturation; the
 * per-instance jitter moves a palette hue by at most 5°, so hue bands 55° wide or more around each
 * palette hue separate them with margin. The table is the only warm neutral (hue ≈ 35°, saturation
 * ≈ 0.2): a band of low saturation there. Cool greys (robot, walls, fixtures) are "other".
 */
import type { PaletteColour } from '../../../sim/cued/palette.ts';

export const CuedClass = {
  Other: 0,
  Red: 1,
  Yellow: 2,
  Green: 3,
  Blue: 4,
  Magenta: 5,
  /** Goal markers. */
  Cyan: 6,
  Table: 7,
  Dark: 8,
} as const;
export type CuedClass = (typeof CuedClass)[keyof typeof CuedClass];

/** Palette colour → its class (and back). */
export const PALETTE_CLASS: Record<PaletteColour, CuedClass> = {
  red: CuedClass.Red,
  yellow: CuedClass.Yellow,
  green: CuedClass.Green,
  blue: CuedClass.Blue,
  magenta: CuedClass.Magenta,
};

export const PALETTE_CLASSES: readonly CuedClass[] = [CuedClass.Red, CuedClass.Yellow, CuedClass.Green, CuedClass.Blue, CuedClass.Magenta];

export function isPaletteClass(c: number): boolean {
  return c >= CuedClass.Red && c <= CuedClass.Magenta;
}

/** One pixel's class. */
export function classifyCued(r: number, g: number, b: number): CuedClass {
  const max = r > g ? (r > b ? r : b) : g > b ? g : b;
  const min = r < g ? (r < b ? r : b) : g < b ? g : b;
  if (max < 45) return CuedClass.Dark;
  const chroma = max - min;
  const s = chroma / max;
  if (s < 0.08) return max < 70 ? CuedClass.Dark : CuedClass.Other;
  let h: number;
  if (max === r) h = 60 * (((g - b) / chroma + 6) % 6);
  else if (max === g) h = 60 * ((b - r) / chroma + 2);
  else h = 60 * ((r - g) / chroma + 4);
  if (s < 0.42) return h >= 12 && h < 75 && s >= 0.1 ? CuedClass.Table : max < 70 ? CuedClass.Dark : CuedClass.Other;
  if (h < 27 || h >= 330) return CuedClass.Red;
  if (h < 90) return CuedClass.Yellow;
  if (h < 153) return CuedClass.Green;
  if (h < 205) return CuedClass.Cyan;
  if (h < 265) return CuedClass.Blue;
  return CuedClass.Magenta;
}

/** Per-pixel classes of an RGB image (row-major, 3 bytes per pixel); reuses `out` when large enough. */
export function classifyCuedImage(rgb: Uint8Array, n: number, out?: Uint8Array): Uint8Array {
  const labels = out && out.length >= n ? out : new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) labels[i] = classifyCued(rgb[j]!, rgb[j + 1]!, rgb[j + 2]!);
  return labels;
}

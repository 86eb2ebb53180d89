/**
 * Frames of the cued scenes: the two camera views classified into the cued colour classes, the hand
 * from proprioception, and the cue — the palette colour of the band round the gripper's wrist, which
 * names the target candidate.
 */
import type { Observation } from '../../../sim/protocol.ts';
import type { Vec3 } from '../camera.ts';
import { decodeViews, frameFrom, type DecodedView, type Frame } from '../frame.ts';
import { classHistogramOf } from './blobs.ts';
import { classifyCuedImage, CuedClass, isPaletteClass } from './classes.ts';

/** The cue light on the wrist: a band of this radius and half-height, centred this far above the hand frame. */
export const CUE_LAMP = { offset: 0.115, radius: 0.037, halfHeight: 0.022 } as const;

export function buildCuedFrame(obs: Observation, decoded: readonly DecodedView[] = decodeViews(obs)): Frame {
  return frameFrom(obs, decoded, classifyCuedImage, CuedClass.Table);
}

/** Where the cue band's centre is for a hand at `hand`. */
export function cueLampCentre(hand: Vec3): Vec3 {
  return [hand[0], hand[1], hand[2] + CUE_LAMP.offset];
}

/**
 * Pixels of one view the cue band covers (approximately: a disc around its projected centre sized
 * by its radius), as indices. Perception excludes them when it looks for candidates, since the band
 * wears a candidate's colour.
 */
export function cueLampPixels(frame: Frame, viewIndex: number, grow = 1): number[] {
  const v = frame.views[viewIndex]!;
  const centre = cueLampCentre(frame.hand);
  const [px, py, depth] = v.camera.project(centre);
  if (depth <= 0) return [];
  const r = (CUE_LAMP.radius + CUE_LAMP.halfHeight) / v.camera.pixelSizeAt(depth) + grow;
  const out: number[] = [];
  for (let row = Math.max(0, Math.floor(py - r)); row <= Math.min(v.height - 1, Math.ceil(py + r)); row++) {
    for (let col = Math.max(0, Math.floor(px - r)); col <= Math.min(v.width - 1, Math.ceil(px + r)); col++) {
      if (Math.hypot(col - px, row - py) <= r) out.push(row * v.width + col);
    }
  }
  return out;
}

/**
 * The cue's palette class read from the band in both views: the palette class most pixels around the
 * band's projected centre show. Undefined when neither view sees it (the arm or a fixture in front).
 */
export function readCue(frame: Frame): number | undefined {
  const votes = new Map<number, number>();
  for (const v of frame.views) {
    const [px, py, depth] = v.camera.project(cueLampCentre(frame.hand));
    if (depth <= 0) continue;
    // The band's centre row, a little wider than tall: its projection at ≈ 1.3 m is ≈ 6 × 4 pixels.
    const half = Math.max(1, Math.round(CUE_LAMP.radius / v.camera.pixelSizeAt(depth) - 0.5));
    for (let row = Math.round(py) - 1; row <= Math.round(py) + 1; row++) {
      for (let col = Math.round(px) - half; col <= Math.round(px) + half; col++) {
        if (row < 0 || col < 0 || row >= v.height || col >= v.width) continue;
        const c = v.labels[row * v.width + col]!;
        if (isPaletteClass(c)) votes.set(c, (votes.get(c) ?? 0) + 1);
      }
    }
  }
  let best: number | undefined;
  let bestCount = 2; // at least 3 agreeing pixels
  for (const [c, n] of votes) {
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

/**
 * Whether a frame shows a cued scene. The cued scenes' table is a large warm-grey area and their few
 * saturated pixels are candidates, goals and the cue band; the MetaWorld scenes' red arm alone is
 * about a thousand saturated pixels, and their brown table is saturated too (under some tints it reads
 * as table here, so the cue band — a palette colour where MetaWorld's wrist is dark — decides then).
 */
export function looksCued(frame: Frame): boolean {
  let table = 0,
    saturated = 0;
  for (const v of frame.views) {
    const h = classHistogramOf(v.labels);
    table += h[CuedClass.Table]!;
    for (let c = CuedClass.Red; c <= CuedClass.Cyan; c++) saturated += h[c]!;
  }
  return table > 1.5 * saturated && (saturated < 400 || readCue(frame) !== undefined);
}
